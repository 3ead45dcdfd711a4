/**
 * Fan-out cost: one 1,000-question batch against an instant upstream, in items/s, against the bare
 * SDK making the same 1,000 calls with Promise.all (bench/sdk.ts, its own process). The ratio is
 * taken within each run, the order alternating; CPU per item (the service's process against the
 * SDK's) moves less than wall time when other work shares the machine.
 */
import {
  benchScript,
  cpuMsOf,
  field,
  fixed,
  median,
  row,
  type Row,
  questions,
  runJson,
  type Service,
  type Upstream,
  verdict
} from "./lib.ts"

const size = 1000
const runs = 5

export const fanout = async (upstream: Upstream, service: Service): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(0)
  await service.ask(questions(size, `fanout-warmup-${Date.now()}`))
  const samples: Array<{ readonly service: number; readonly floor: number; readonly serviceCpu: number; readonly floorCpu: number }> = []
  const sdk = () => runJson(process.execPath, [benchScript("sdk.ts"), "fanout", upstream.baseUrl, String(size)])
  const ours = async (run: number) => {
    const before = cpuMsOf(service.pid)
    const result = await service.ask(questions(size, `fanout-${run}-${Date.now()}`))
    if (result.ok !== size) throw new Error(`fan-out: only ${result.ok} of ${size} succeeded`)
    return { ms: result.ms, cpuMs: cpuMsOf(service.pid) - before }
  }
  for (let run = 0; run < runs; run++) {
    const [floor, result] = run % 2 === 0 ? [await sdk(), await ours(run)] : await ours(run).then(async (r) => [await sdk(), r] as const)
    samples.push({
      service: size / (result.ms / 1_000),
      floor: size / (Number(field(floor, "ms")) / 1_000),
      serviceCpu: result.cpuMs / size,
      floorCpu: Number(field(floor, "cpuMs")) / size
    })
  }
  const ratio = median(samples.map((s) => s.service / s.floor))
  return [
    row(
      "fan-out, 1,000 questions",
      "items/s",
      fixed(median(samples.map((s) => s.service))),
      fixed(median(samples.map((s) => s.floor))),
      fixed(ratio, 2),
      verdict(ratio >= 0.9, "≥ 0.90 of floor")
    ),
    row(
      "fan-out, 1,000 questions",
      "CPU ms per item",
      fixed(median(samples.map((s) => s.serviceCpu)), 2),
      fixed(median(samples.map((s) => s.floorCpu)), 2),
      fixed(median(samples.map((s) => s.serviceCpu / s.floorCpu)), 2)
    )
  ]
}
