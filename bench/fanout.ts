/**
 * Fan-out cost: one 1,000-question batch against an instant upstream, in items/s, against the bare
 * SDK making the same 1,000 calls with Promise.all (bench/sdk.ts, its own process). The ratio is
 * taken within each run.
 */
import {
  benchScript,
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
  const samples: Array<{ readonly service: number; readonly floor: number }> = []
  for (let run = 0; run < runs; run++) {
    const floor = await runJson(process.execPath, [benchScript("sdk.ts"), "fanout", upstream.baseUrl, String(size)])
    const result = await service.ask(questions(size, `fanout-${run}-${Date.now()}`))
    if (result.ok !== size) throw new Error(`fan-out: only ${result.ok} of ${size} succeeded`)
    samples.push({ service: size / (result.ms / 1_000), floor: size / (Number(field(floor, "ms")) / 1_000) })
  }
  const ratio = median(samples.map((s) => s.service / s.floor))
  return [
    row(
      "fan-out, 1,000 questions",
      "items/s",
      fixed(median(samples.map((s) => s.service))),
      fixed(median(samples.map((s) => s.floor))),
      fixed(ratio, 2),
      verdict(ratio >= 0.8, "≥ 0.80 of floor")
    )
  ]
}
