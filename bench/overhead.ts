/**
 * Overhead: single-question POST /ask (bench/load.ts: autocannon in its own process, a new
 * question every request so the cache never answers) against the floor, the bare `openai` SDK
 * calling the same instant upstream (bench/sdk.ts, its own process). At 1 and 32 concurrent
 * clients; ratios are taken within each run, figures are medians over runs. CPU time per request
 * (service process vs. SDK process) is shown too: it moves less than throughput when other work
 * shares the machine.
 */
import {
  benchScript,
  cpuMsOf,
  field,
  fixed,
  median,
  row,
  type Row,
  runJson,
  type Service,
  type Upstream,
  verdict
} from "./lib.ts"

interface Load {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly cpuMs: number
}

const seconds = 3
const runs = 3

const parse = (json: unknown, cpuMs: number): Load => ({
  rps: Number(field(json, "rps")),
  p50: Number(field(json, "p50")),
  p99: Number(field(json, "p99")),
  cpuMs
})

const service = async (target: Service, clients: number, duration = seconds): Promise<Load> => {
  const before = cpuMsOf(target.pid)
  const result = await runJson(process.execPath, [
    benchScript("load.ts"),
    `http://127.0.0.1:${target.port}/ask`,
    String(clients),
    String(duration)
  ])
  return parse(result, (cpuMsOf(target.pid) - before) / Number(field(result, "requests")))
}

const floor = async (upstream: Upstream, clients: number): Promise<Load> => {
  const args = ["loop", upstream.baseUrl, String(clients), String(seconds)]
  const result = await runJson(process.execPath, [benchScript("sdk.ts"), ...args])
  return parse(result, Number(field(result, "cpuMsPerCall")))
}

export const overhead = async (upstream: Upstream, target: Service): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(0)
  await service(target, 32, 2) // warm-up: JIT, connection pools
  const rows: Array<Row> = []
  for (const clients of [1, 32]) {
    const samples: Array<{ readonly service: Load; readonly floor: Load }> = []
    for (let run = 0; run < runs; run++) {
      samples.push({ floor: await floor(upstream, clients), service: await service(target, clients) })
    }
    const pick = (side: "service" | "floor", key: keyof Load) => median(samples.map((s) => s[side][key]))
    const ratio = median(samples.map((s) => s.service.rps / s.floor.rps))
    const scenario = `overhead, ${clients} client${clients === 1 ? "" : "s"}`
    const goal = clients === 32 ? verdict(ratio >= 0.75, "≥ 0.75 of floor (aim 0.90)") : ""
    rows.push(
      row(scenario, "req/s", fixed(pick("service", "rps")), fixed(pick("floor", "rps")), fixed(ratio, 2), goal),
      row(scenario, "p50 ms", fixed(pick("service", "p50"), 2), fixed(pick("floor", "p50"), 2)),
      row(scenario, "p99 ms", fixed(pick("service", "p99"), 2), fixed(pick("floor", "p99"), 2)),
      row(scenario, "CPU ms per request", fixed(pick("service", "cpuMs"), 2), fixed(pick("floor", "cpuMs"), 2))
    )
  }
  return rows
}
