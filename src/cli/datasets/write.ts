/**
 * `llm-batch run --out`: the input's rows, in input order, each with its result's columns
 * (`resultColumns`), as CSV, JSONL or Parquet. Written to `<out>.partial` and renamed at the end,
 * so an interrupted write never leaves a half file under the output's name.
 */
import { fileWriter, parquetWriteRows } from "hyparquet-writer"
import { once } from "node:events"
import { createWriteStream } from "node:fs"
import { rename } from "node:fs/promises"
import { type Cell, csvLine, resultCells, resultColumns, type TableResult, toCell } from "../../domain/resultsTable.ts"
import type { DatasetFormat } from "./rows.ts"

export interface OutputRow {
  readonly values: Readonly<Record<string, unknown>>
  readonly result: TableResult
}

export interface OutputShape {
  /** The input's columns, in its order. */
  readonly input: ReadonlyArray<string>
  /** The answer's columns (`answerColumns`). */
  readonly answers: ReadonlyArray<string>
}

/** Input values keep their type in JSONL and Parquet (a Parquet INT64 as a bigint); CSV writes text. */
const inputValue = (value: unknown): unknown =>
  value === undefined ? null : typeof value === "object" && value !== null && !(value instanceof Date) ? JSON.stringify(value) : value

const cellsOf = (shape: OutputShape, row: OutputRow): Array<Cell | unknown> => [
  ...shape.input.map((column) => inputValue(row.values[column])),
  ...resultCells(row.result, shape.answers)
]

/** Lines to a file, waiting whenever the stream's buffer is full (bounded memory). */
const writeLines = async (path: string, lines: AsyncIterable<string>) => {
  const file = createWriteStream(path)
  try {
    for await (const line of lines) if (!file.write(line)) await once(file, "drain")
  } finally {
    file.end()
    await once(file, "close")
  }
}

async function* csvLines(shape: OutputShape, rows: AsyncIterable<OutputRow>) {
  yield csvLine([...shape.input, ...resultColumns(shape.answers)])
  for await (const row of rows) yield csvLine(cellsOf(shape, row).map(toCell))
}

async function* jsonLines(shape: OutputShape, rows: AsyncIterable<OutputRow>) {
  const names = [...shape.input, ...resultColumns(shape.answers)]
  for await (const row of rows) {
    const cells = cellsOf(shape, row)
    yield `${JSON.stringify(Object.fromEntries(names.map((name, i) => [name, cells[i]])), (_, v) => typeof v === "bigint" ? v.toString() : v)}\n`
  }
}

async function* records(shape: OutputShape, rows: AsyncIterable<OutputRow>) {
  const names = [...shape.input, ...resultColumns(shape.answers)]
  for await (const row of rows) {
    const cells = cellsOf(shape, row)
    yield Object.fromEntries(names.map((name, i) => [name, cells[i]]))
  }
}

/** Result columns have fixed types; the input's and the answer's are inferred from their values. */
const knownTypes: Readonly<Record<string, "STRING" | "DOUBLE">> = {
  status: "STRING",
  error_message: "STRING",
  model: "STRING",
  cost_usd: "DOUBLE"
}

export const writeOutput = async (path: string, format: DatasetFormat, shape: OutputShape, rows: AsyncIterable<OutputRow>) => {
  const partial = `${path}.partial`
  if (format === "parquet") {
    const columns = [...shape.input, ...resultColumns(shape.answers)].map((name) => {
      const type = shape.input.includes(name) ? undefined : knownTypes[name] ?? undefined
      return type === undefined ? { name } : { name, type }
    })
    const writer = fileWriter(partial)
    await parquetWriteRows({ writer, columns, rows: records(shape, rows) })
  } else {
    await writeLines(partial, format === "csv" ? csvLines(shape, rows) : jsonLines(shape, rows))
  }
  await rename(partial, path)
}
