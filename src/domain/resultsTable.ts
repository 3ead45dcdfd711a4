/**
 * Results as a table, for `llm-batch run --out` and `GET /batches/{id}/results?format=csv`: one row
 * per question with `status`, its answer (a structured answer's fields as columns `answer_<field>`,
 * any other answer in `answer`), `error_message`, `model` and `cost_usd`. One CSV writer for both.
 */
import type { ResultItem } from "./Batch.ts"
import { isRecord } from "./jsonl.ts"

export type Cell = string | number | boolean | null

/** What a table keeps of a result (the CLI holds one per row until it writes the output). */
export type TableResult = Pick<ResultItem, "status" | "result" | "error_message" | "model" | "cost_usd">

const answerPrefix = "answer_"

/** The answer's columns over these results: `answer` unless every answer is an object, then each field in first-seen order. */
export const answerColumns = (results: Iterable<Pick<ResultItem, "status" | "result">>): Array<string> => {
  const fields = new Set<string>()
  let plain = false
  for (const result of results) {
    if (result.status !== "success") continue
    if (isRecord(result.result)) for (const key of Object.keys(result.result)) fields.add(`${answerPrefix}${key}`)
    else plain = true
  }
  return [...(plain || fields.size === 0 ? ["answer"] : []), ...fields]
}

export const resultColumns = (answers: ReadonlyArray<string>): Array<string> => [
  "status",
  ...answers,
  "error_message",
  "model",
  "cost_usd"
]

/** A value as one cell: scalars as they are, anything else as JSON. */
export const toCell = (value: unknown): Cell => {
  if (value === null || value === undefined) return null
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value
  if (typeof value === "bigint") return value.toString()
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value)
}

const answerCell = (result: TableResult, column: string): Cell => {
  if (result.status !== "success") return null
  if (column === "answer") return isRecord(result.result) ? null : toCell(result.result)
  return isRecord(result.result) ? toCell(result.result[column.slice(answerPrefix.length)]) : null
}

/** The cells of `resultColumns(answers)` for one result. */
export const resultCells = (result: TableResult, answers: ReadonlyArray<string>): Array<Cell> => [
  result.status,
  ...answers.map((column) => answerCell(result, column)),
  result.error_message,
  result.model,
  result.cost_usd
]

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (cell: Cell): string => {
  if (cell === null) return ""
  const text = String(cell)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll("\"", "\"\"")}"` : text
}

/** One CSV record, ending in a line break. */
export const csvLine = (cells: ReadonlyArray<Cell>): string => `${cells.map(csvField).join(",")}\n`

/** A job's results as CSV, by index: `index`, each meta key as `meta_<key>`, then `resultColumns`. */
export const resultsCsv = (results: ReadonlyArray<ResultItem>): string => {
  const sorted = results.toSorted((a, b) => a.index - b.index)
  const metaKeys = [...new Set(sorted.flatMap((result) => Object.keys(result.meta ?? {})))]
  const answers = answerColumns(sorted)
  const lines = [csvLine(["index", ...metaKeys.map((key) => `meta_${key}`), ...resultColumns(answers)])]
  for (const result of sorted) {
    lines.push(csvLine([result.index, ...metaKeys.map((key) => toCell(result.meta?.[key])), ...resultCells(result, answers)]))
  }
  return lines.join("")
}
