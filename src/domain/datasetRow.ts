/**
 * A dataset's row as a question, the same for `llm-batch run` and the console's upload: rows are
 * numbered from 1 in file order (bad rows included) and row n is question `index` n, with
 * `meta.id` = its id column's value (or n), so its result joins back to it. A row the template
 * cannot fill is named by its line (a CSV or JSONL file) or row (Parquet) and not sent.
 */
import { render } from "./template.ts"

export type DatasetFormat = "csv" | "jsonl" | "parquet"

export interface Row {
  /** Where the row starts: its line in a CSV or JSONL file, its row number (from 1) in a Parquet file. */
  readonly line: number
  readonly values: Readonly<Record<string, unknown>>
}

/** A row that could not be read at all (JSONL that is not an object): named, the others still read. */
export interface UnreadableRow {
  readonly line: number
  readonly problem: string
}

export const isUnreadable = (row: Row | UnreadableRow): row is UnreadableRow => "problem" in row

export interface QuestionShape {
  readonly template: string
  readonly idColumn: string | undefined
  /** Fields every question carries (model, response_model, response_schema). */
  readonly fields: Readonly<Record<string, unknown>>
}

/** The format a file's name says, or undefined. */
export const formatOf = (name: string): DatasetFormat | undefined => {
  const lower = name.toLowerCase()
  if (lower.endsWith(".csv")) return "csv"
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl"
  if (lower.endsWith(".parquet")) return "parquet"
  return undefined
}

/** csv-parse's `info` for a record: the lines read so far, and the empty lines skipped. */
export interface CsvInfo {
  readonly lines: number
  readonly empty_lines: number
}

/**
 * The line each CSV record starts on: the line after the last record ended, past any empty lines
 * skipped in between (csv-parse counts lines, not where a record began).
 */
export const csvRecordLines = () => {
  let before = { lines: 1, empty: 0 }
  return (info: CsvInfo): number => {
    const line = before.lines + 1 + (info.empty_lines - before.empty)
    before = { lines: info.lines, empty: info.empty_lines }
    return line
  }
}

/** A JSONL line as a row: an object, or why it is not one. */
export const jsonlRow = (text: string, line: number): Row | UnreadableRow => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { line, problem: `not valid JSON (${error instanceof Error ? error.message : String(error)})` }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { line, problem: "not a JSON object" }
  return { line, values: Object.fromEntries(Object.entries(value)) }
}

const idValue = (value: unknown): string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? value
    : typeof value === "bigint"
    ? value.toString()
    : JSON.stringify(value)

export interface RowQuestion {
  readonly index: number
  readonly question: string
  readonly meta: { readonly id: string | number | boolean }
  readonly [field: string]: unknown
}

export type RowOutcome =
  | { readonly _tag: "Question"; readonly question: RowQuestion }
  | { readonly _tag: "Bad"; readonly problem: string }

/** Row number `index` of a `format` file as a question, or why it is not sent ("line 3: no value for column 'text'"). */
export const rowQuestion = (
  row: Row | UnreadableRow,
  index: number,
  format: DatasetFormat,
  shape: QuestionShape
): RowOutcome => {
  if (isUnreadable(row)) return { _tag: "Bad", problem: `line ${row.line}: ${row.problem}` }
  const id = shape.idColumn === undefined ? index : row.values[shape.idColumn]
  const prompt = render(shape.template, row.values)
  const missing = [
    ...(prompt._tag === "Missing" ? prompt.columns : []),
    ...(shape.idColumn !== undefined && (id === undefined || id === null) ? [shape.idColumn] : [])
  ]
  if (prompt._tag === "Missing" || missing.length > 0) {
    const where = format === "parquet" ? `row ${row.line}` : `line ${row.line}`
    return { _tag: "Bad", problem: `${where}: no value for column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `'${c}'`).join(", ")}` }
  }
  return { _tag: "Question", question: { index, question: prompt.text, ...shape.fields, meta: { id: idValue(id) } } }
}
