/**
 * Datasets (issue 26): a 100,000-row CSV read into questions as `llm-batch run` uploads them, and
 * joined back to 100,000 results written as CSV, in a process of its own (bench/datasetsWorker.ts):
 * rows/s each way and the peak RSS of each pass. The read streams (its RSS does not grow with the
 * file); the write holds one compact result per row, as `run` does while it follows the job.
 */
import { Schema } from "effect"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { fixed, root, row, type Row } from "./lib.ts"

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
