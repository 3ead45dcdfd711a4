/**
 * The rows of a dataset file, read as they are needed (never the whole file): CSV (csv-parse,
 * quoted commas and line breaks), JSONL (one object per line) and Parquet (hyparquet, a slice of
 * rows at a time). Each row carries its line number (CSV, JSONL) or row number (Parquet), so a bad
 * row can be named.
 */
import { parse } from "csv-parse"
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet"
import { createReadStream } from "node:fs"
import { createInterface } from "node:readline"

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

/** The format a file's name says, or undefined. */
export const formatOf = (path: string): DatasetFormat | undefined => {
  const lower = path.toLowerCase()
  if (lower.endsWith(".csv")) return "csv"
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl"
  if (lower.endsWith(".parquet")) return "parquet"
  return undefined
}

async function* csvRows(path: string): AsyncGenerator<Row | UnreadableRow> {
  // Short rows parse (their missing columns are reported per row, by the template) rather than end the read.
  const parser = createReadStream(path).pipe(
    parse({ columns: true, bom: true, info: true, relax_column_count: true, skip_empty_lines: true })
  )
  let before = { lines: 1, empty: 0 }
  for await (const { info, record } of parser as AsyncIterable<{ info: { lines: number; empty_lines: number }; record: Record<string, string> }>) {
    // A record starts on the line after the last one ended, past any empty lines skipped in between.
    const line = before.lines + 1 + (info.empty_lines - before.empty)
    before = { lines: info.lines, empty: info.empty_lines }
    yield { line, values: record }
  }
}

async function* jsonlRows(path: string): AsyncGenerator<Row | UnreadableRow> {
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })
  let line = 0
  for await (const text of lines) {
    line += 1
    if (text.trim() === "") continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      yield { line, problem: `not valid JSON (${error instanceof Error ? error.message : String(error)})` }
      continue
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      yield { line, problem: "not a JSON object" }
      continue
    }
    yield { line, values: Object.fromEntries(Object.entries(value)) }
  }
}

/** Rows read from a Parquet file at a time: a slice is decoded whole. */
const parquetSlice = 1_000

async function* parquetRows(path: string): AsyncGenerator<Row | UnreadableRow> {
  const file = await asyncBufferFromFile(path)
  const metadata = await parquetMetadataAsync(file)
  const total = Number(metadata.num_rows)
  for (let start = 0; start < total; start += parquetSlice) {
    const rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: Math.min(total, start + parquetSlice) })
    for (const [offset, values] of rows.entries()) yield { line: start + offset + 1, values }
  }
}

/** The file's column names, when the format states them up front (a CSV header, a Parquet schema). */
export const declaredColumns = async (path: string, format: DatasetFormat): Promise<Array<string> | undefined> => {
  if (format === "parquet") {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path))
    return parquetSchema(metadata).children.map((child) => child.element.name)
  }
  if (format === "csv") {
    const parser = createReadStream(path).pipe(parse({ bom: true, to_line: 1 }))
    for await (const header of parser as AsyncIterable<Array<string>>) return header
    return []
  }
  return undefined
}

export const readRows = (path: string, format: DatasetFormat): AsyncGenerator<Row | UnreadableRow> =>
  format === "csv" ? csvRows(path) : format === "jsonl" ? jsonlRows(path) : parquetRows(path)

export const isUnreadable = (row: Row | UnreadableRow): row is UnreadableRow => "problem" in row
