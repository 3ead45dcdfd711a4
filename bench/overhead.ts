/**
 * Overhead: single-question POST /ask (bench/load.ts in its own process, a new question every
 * request so the cache never answers) against the floor, the bare `openai` SDK calling the same
 * instant upstream (bench/sdk.ts, its own process). At 1 and 32 concurrent clients; ratios are
 * taken within each run, figures are medians over runs. CPU time per request (service process vs.
 * SDK process) is shown too: it moves less than throughput when other work shares the machine.
 *
 * The load comes from the lean raw-socket generator: on 2 cores the generator's own CPU is taken
 * from the service. At 32 clients the same load from autocannon is measured too, with the CPU each
 * generator spent per request, so the difference is on the table.
 */
import {
  benchScript,
  field,
  fixed,
  type Load,
  loadOf,
  loadOn,
  median,
  row,
  type Row,
  runJson,
  type Service,
  type Upstream,
  verdict
} from "./lib.ts"

const seconds = 3
const runs = 3

type Generator = "raw" | "autocannon"

const service = (target: Service, clients: number, generator: Generator, duration = seconds): Promise<Load> =>
  loadOn(target.pid, `http://127.0.0.1:${target.port}/ask`, { clients, seconds: duration, generator })

const floor = async (upstream: Upstream, clients: number): Promise<Load> => {
  const args = ["loop", upstream.baseUrl, String(clients), String(seconds)]
  const result = await runJson(process.execPath, [benchScript("sdk.ts"), ...args])
  return loadOf(result, Number(field(result, "cpuMsPerCall")))
}

export const overhead = async (upstream: Upstream, target: Service): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(0)
  await service(target, 32, "raw", 2) // warm-up: JIT, connection pools
  const rows: Array<Row> = []
  for (const clients of [1, 32]) {
    const samples: Array<{ readonly service: Load; readonly floor: Load; readonly autocannon?: Load }> = []
    for (let run = 0; run < runs; run++) {
      samples.push({
        floor: await floor(upstream, clients),
        service: await service(target, clients, "raw"),
        ...(clients === 32 ? { autocannon: await service(target, clients, "autocannon") } : {})
      })
    }
    const pick = (side: "service" | "floor", key: keyof Load) => median(samples.map((s) => s[side][key]))
    const ratio = median(samples.map((s) => s.service.rps / s.floor.rps))
    const scenario = `overhead, ${clients} client${clients === 1 ? "" : "s"}`
    const goal = clients === 32 ? verdict(ratio >= 0.75, "≥ 0.75 of floor (aim 0.90)") : ""
    rows.push(
      row(scenario, "req/s", fixed(pick("service", "rps")), fixed(pick("floor", "rps")), fixed(ratio, 2), goal),
      row(scenario, "p50 ms", fixed(pick("service", "p50"), 2), fixed(pick("floor", "p50"), 2)),
      row(scenario, "p99 ms", fixed(pick("service", "p99"), 2), fixed(pick("floor", "p99"), 2)),
      row(scenario, "CPU ms per request", fixed(pick("service", "cpuMs"), 2), fixed(pick("floor", "cpuMs"), 2)),
      row(scenario, "load generator CPU ms per request", fixed(pick("service", "generatorCpuMs"), 2))
    )
    const withAutocannon = samples.flatMap((s) => s.autocannon === undefined ? [] : [{ load: s.autocannon, floor: s.floor }])
    if (withAutocannon.length > 0) {
      const autocannonScenario = `${scenario}, autocannon`
      rows.push(
        row(
          autocannonScenario,
          "req/s",
          fixed(median(withAutocannon.map((s) => s.load.rps))),
          fixed(pick("floor", "rps")),
          fixed(median(withAutocannon.map((s) => s.load.rps / s.floor.rps)), 2)
        ),
        row(autocannonScenario, "load generator CPU ms per request", fixed(median(withAutocannon.map((s) => s.load.generatorCpuMs)), 2))
      )
    }
  }
  return rows
}
