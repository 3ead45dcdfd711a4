/**
 * Datasets (issue 26): a 100,000-row CSV read into questions as `llm-batch run` uploads them, and
 * joined back to 100,000 results written as CSV, in a process of its own (bench/datasetsWorker.ts):
 * rows/s each way and the peak RSS of each pass. The read streams (its RSS does not grow with the
 * file); the write holds one compact result per row, as `run` does while it follows the job.
 */
import { Schema } from "effect"
import { execFile, spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, rmSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { writeReviewsCsv } from "./datasetsFile.ts"
import { fixed, root, row, type Row, startService, type Upstream } from "./lib.ts"

const rows = 100_000

const Pass = Schema.Struct({ seconds: Schema.Number, peakRss: Schema.Number })
const decodeMeasured = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Struct({
  rows: Schema.Number,
  baselineRss: Schema.Number,
  inputMb: Schema.Number,
  read: Pass,
  write: Pass
})))

export const datasets = async (): Promise<ReadonlyArray<Row>> => {
  const { stdout } = await promisify(execFile)(process.execPath, ["bench/datasetsWorker.ts", String(rows)], { cwd: root })
  const measured = decodeMeasured(stdout)
  const { read, write } = measured
  const name = `${rows.toLocaleString("en")}-row CSV (${fixed(measured.inputMb, 1)} MB)`
  return [
    row(name, "rows/s read into questions", fixed(measured.rows / read.seconds)),
    row(name, "peak RSS reading, MB", fixed(read.peakRss), `${fixed(measured.baselineRss)} before`),
    row(name, "rows/s joined and written", fixed(measured.rows / write.seconds)),
    row(name, "peak RSS writing, MB", fixed(write.peakRss), `${fixed(measured.baselineRss)} before`)
  ]
}

/** VmHWM (peak RSS) of a running process, in MB; 0 once it has exited. */
const peakRssOf = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "")
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
  return kb === undefined ? 0 : Number(kb) / 1024
}

/**
 * `llm-batch run` end to end against a service whose MAX_JOB_SIZE takes every row, over the instant
 * fake upstream: rows/s from start to the written output, and the CLI process's peak RSS.
 */
export const datasetsEndToEnd = async (upstream: Upstream, count = rows): Promise<ReadonlyArray<Row>> => {
  const dir = mkdtempSync(join(tmpdir(), "llm-batch-bench-run-"))
  try {
    await upstream.setDelay(0)
    // 100,000 rows of 5 JSON values each pass the default MAX_JSON_VALUES (derived from the heap): both are raised.
    const service = await startService(upstream, { MAX_JOB_SIZE: String(count), MAX_JSON_VALUES: String(count * 10) })
    try {
      const input = join(dir, "reviews.csv")
      await writeReviewsCsv(input, count)
      const started = performance.now()
      const child = spawn(process.execPath, [
        "src/cli/main.ts", "run", input, "--template", "Classify this review: {{text}}", "--id-column", "id",
        "--out", join(dir, "labelled.csv")
      ], { cwd: root, env: { ...process.env, LLM_BATCH_URL: `http://127.0.0.1:${service.port}` }, stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
      let peak = 0
      const sampler = setInterval(() => void peakRssOf(child.pid!).then((mb) => (peak = Math.max(peak, mb))), 100)
      const [code] = await once(child, "exit")
      clearInterval(sampler)
      const seconds = (performance.now() - started) / 1000
      if (code !== 0) throw new Error(`llm-batch run exited ${String(code)}: ${stderr.slice(-2000)}`)
      const name = `llm-batch run, ${count.toLocaleString("en")} rows`
      return [
        row(name, "rows/s, start to written output", fixed(count / seconds)),
        row(name, "CLI peak RSS, MB", fixed(peak))
      ]
    } finally {
      await service.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
