/**
 * A dataset file read in the browser (CSV with csv-parse's browser build, JSONL, Parquet with
 * hyparquet; both loaded only when a dataset is chosen) and rendered as questions with the rules
 * `llm-batch run` uses (src/domain/datasetRow.ts): one question per row, bad rows named by line.
 */
import {
  type CsvInfo,
  csvRecordLines,
  type DatasetFormat,
  isUnreadable,
  jsonlRow,
  type QuestionShape,
  type Row,
  rowQuestion,
  type RowQuestion,
  type UnreadableRow
} from "../../src/domain/datasetRow.ts"

export interface Dataset {
  readonly format: DatasetFormat
  readonly rows: ReadonlyArray<Row | UnreadableRow>
  /** Every column a row has, in the order first seen. */
  readonly columns: ReadonlyArray<string>
}

const decoded = (bytes: ArrayBuffer) => new TextDecoder().decode(bytes)

const csvRows = async (bytes: ArrayBuffer): Promise<Array<Row>> => {
  const { parse } = await import("csv-parse/browser/esm/sync")
  // As the CLI reads a CSV: short rows parse, and the template names what they lack.
  const records = parse<{ readonly info: CsvInfo; readonly record: Record<string, string> }>(decoded(bytes), {
    columns: true,
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true
  })
  const lineOf = csvRecordLines()
  return records.map(({ info, record }) => ({ line: lineOf(info), values: record }))
}

const jsonlRows = (bytes: ArrayBuffer): Array<Row | UnreadableRow> =>
  decoded(bytes).split("\n").flatMap((line, i) => line.trim() === "" ? [] : [jsonlRow(line, i + 1)])

const parquetRows = async (bytes: ArrayBuffer): Promise<Array<Row>> => {
  const { parquetReadObjects } = await import("hyparquet")
  const rows = await parquetReadObjects({ file: bytes })
  return rows.map((values, i) => ({ line: i + 1, values }))
}

/** The file's rows; a file that cannot be read at all (a CSV quote never closed) rejects. */
export const readDataset = async (format: DatasetFormat, bytes: ArrayBuffer): Promise<Dataset> => {
  const rows = format === "csv" ? await csvRows(bytes) : format === "jsonl" ? jsonlRows(bytes) : await parquetRows(bytes)
  const columns = new Set<string>()
  for (const row of rows) if (!isUnreadable(row)) for (const column of Object.keys(row.values)) columns.add(column)
  return { format, rows, columns: [...columns] }
}

export interface Rendered {
  readonly questions: ReadonlyArray<RowQuestion>
  /** The rows not sent, each named by its line ("line 4: no value for column 'text'"). */
  readonly bad: ReadonlyArray<string>
}

/** One question per row, as `llm-batch run` would send it. */
export const renderDataset = (dataset: Dataset, shape: QuestionShape): Rendered => {
  const questions: Array<RowQuestion> = []
  const bad: Array<string> = []
  for (const [i, row] of dataset.rows.entries()) {
    const outcome = rowQuestion(row, i + 1, dataset.format, shape)
    if (outcome._tag === "Question") questions.push(outcome.question)
    else bad.push(outcome.problem)
  }
  return { questions, bad }
}

/** The questions as the JSONL a job takes. */
export const questionsJsonl = (questions: ReadonlyArray<RowQuestion>): string =>
  questions.map((question) => JSON.stringify(question, (_, value: unknown) => typeof value === "bigint" ? value.toString() : value)).join("\n")
