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
import { type CsvInfo, csvRecordLines, type DatasetFormat, jsonlRow, type Row, type UnreadableRow } from "../../domain/datasetRow.ts"

export type { DatasetFormat }
export { formatOf } from "../../domain/datasetRow.ts"

async function* csvRows(path: string): AsyncGenerator<Row | UnreadableRow> {
  // Short rows parse (their missing columns are reported per row, by the template) rather than end the read.
  const parser = createReadStream(path).pipe(
    parse({ columns: true, bom: true, info: true, relax_column_count: true, skip_empty_lines: true })
  )
  const lineOf = csvRecordLines()
  for await (const { info, record } of parser as AsyncIterable<{ info: CsvInfo; record: Record<string, string> }>) {
    yield { line: lineOf(info), values: record }
  }
}

async function* jsonlRows(path: string): AsyncGenerator<Row | UnreadableRow> {
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })
  let line = 0
  for await (const text of lines) {
    line += 1
    if (text.trim() !== "") yield jsonlRow(text, line)
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
