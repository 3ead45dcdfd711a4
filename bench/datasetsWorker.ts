/**
 * The `datasets` scenario's measuring process (bench/datasets.ts starts it, so its RSS is its own):
 * a CSV of N rows (quoted commas, quotes and line breaks) read into questions exactly as
 * `llm-batch run` uploads them, then joined back to N results and written as CSV. Prints JSON:
 * rows/s and peak RSS of each pass.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { joined, questionsOf, Scan } from "../src/cli/datasets/dataset.ts"
import { writeOutput } from "../src/cli/datasets/write.ts"
import { answerColumns, type TableResult } from "../src/domain/resultsTable.ts"
import { writeReviewsCsv } from "./datasetsFile.ts"

const rows = Number(process.argv[2] ?? 100_000)
const dir = mkdtempSync(join(tmpdir(), "llm-batch-bench-datasets-"))
const mb = (bytes: number) => bytes / 1024 / 1024

let peak = 0
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
const measure = async (pass: () => Promise<void>) => {
  peak = process.memoryUsage().rss
  const started = performance.now()
  await pass()
  peak = Math.max(peak, process.memoryUsage().rss)
  return { seconds: (performance.now() - started) / 1000, peakRss: mb(peak) }
}

try {
  const input = join(dir, "reviews.csv")
  await writeReviewsCsv(input, rows)
  const baselineRss = mb(process.memoryUsage().rss)

  const scan = new Scan()
  let sentBytes = 0
  const shape = { template: "Classify this review: {{text}}", idColumn: "id", fields: {} }
  const read = await measure(async () => {
    for await (const question of questionsOf(input, "csv", shape, scan)) sentBytes += JSON.stringify(question).length + 2
  })

  // What `run` holds while it follows the job: one compact result per row.
  const results = new Map<number, TableResult>()
  for (let i = 1; i <= scan.rows; i++) {
    results.set(i, { status: "success", result: { label: i % 2 === 0 ? "positive" : "negative", score: 0.5 }, error_message: null, model: "openai/gpt-4o-mini", cost_usd: 0.00002 })
  }
  const out = join(dir, "labelled.csv")
  const write = await measure(() =>
    writeOutput(out, "csv", { input: ["id", "text", "stars"], answers: answerColumns(results.values()) }, joined(input, "csv", results, scan.bad))
  )
  process.stdout.write(`${JSON.stringify({
    rows: scan.rows,
    bad: scan.bad.size,
    inputMb: mb(statSync(input).size),
    uploadMb: mb(sentBytes),
    outputMb: mb(statSync(out).size),
    baselineRss,
    read,
    write
  })}\n`)
} finally {
  clearInterval(sampler)
  rmSync(dir, { recursive: true, force: true })
}
