/**
 * Batch scaling: batches of 1, 10, 100 and 1,000 questions against an upstream that answers after
 * 200 ms. Wall time against the ideal `200 ms × ceil(N / LLM_CONCURRENCY)`, and the peak number of
 * calls the upstream saw in flight (must be min(N, limit), never above the limit).
 */
import { fixed, llmConcurrency, median, row, type Row, questions, type Service, type Upstream, verdict } from "./lib.ts"

const delayMs = 200
const runs = 3
const sizes = [1, 10, 100, 1000]

export const batchScaling = async (upstream: Upstream, service: Service): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(delayMs)
  const rows: Array<Row> = []
  for (const size of sizes) {
    const walls: Array<number> = []
    const peaks: Array<number> = []
    for (let run = 0; run < runs; run++) {
      await upstream.setDelay(delayMs) // resets the upstream's counters
      const result = await service.ask(questions(size, `scaling-${size}-${run}-${Date.now()}`))
      if (result.ok !== size) throw new Error(`batch of ${size}: only ${result.ok} succeeded`)
      walls.push(result.ms)
      peaks.push((await upstream.stats()).peak)
    }
    const ideal = delayMs * Math.ceil(size / llmConcurrency)
    const wall = median(walls)
    const expectedPeak = Math.min(size, llmConcurrency)
    const maxPeak = Math.max(...peaks)
    const scenario = `batch N=${size}`
    rows.push(
      row(
        scenario,
        "wall ms",
        fixed(wall),
        fixed(ideal),
        fixed(wall / ideal, 2),
        verdict(wall <= 1.2 * ideal, "≤ 1.2 × ideal")
      ),
      row(
        scenario,
        "peak in flight",
        peaks.join("/"),
        String(expectedPeak),
        "",
        verdict(peaks.every((p) => p === expectedPeak) && maxPeak <= llmConcurrency, `= min(N, ${llmConcurrency})`)
      )
    )
  }
  return rows
}
