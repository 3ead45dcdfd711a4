/**
 * A dataset's rows as questions, and back: each row (numbered from 1, in file order, bad rows
 * included) is question `index` = its number, with `meta.id` = its id column's value (or the
 * number), so its result joins back to it. A row the template cannot fill is reported with its
 * line and not sent; the other rows are.
 */
import type { TableResult } from "../../domain/resultsTable.ts"
import { type DatasetFormat, isUnreadable, readRows } from "./rows.ts"
import { render } from "./template.ts"
import type { OutputRow } from "./write.ts"

export interface QuestionShape {
  readonly template: string
  readonly idColumn: string | undefined
  /** Fields every question carries (model, response_model, response_schema). */
  readonly fields: Readonly<Record<string, unknown>>
}

/** What a pass over the file learned: its bad rows (by number) and, for JSONL, its columns. */
export class Scan {
  rows = 0
  readonly bad = new Map<number, string>()
  readonly columns = new Set<string>()
}

const idValue = (value: unknown): string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? value
    : typeof value === "bigint"
    ? value.toString()
    : JSON.stringify(value)

/** The questions of the file's good rows, in order; `scan` collects the rest as it goes. */
export async function* questionsOf(path: string, format: DatasetFormat, shape: QuestionShape, scan: Scan) {
  for await (const row of readRows(path, format)) {
    scan.rows += 1
    const index = scan.rows
    if (isUnreadable(row)) {
      scan.bad.set(index, `line ${row.line}: ${row.problem}`)
      continue
    }
    for (const column of Object.keys(row.values)) scan.columns.add(column)
    const id = shape.idColumn === undefined ? index : row.values[shape.idColumn]
    const prompt = render(shape.template, row.values)
    const missing = [
      ...(prompt._tag === "Missing" ? prompt.columns : []),
      ...(id === undefined || id === null ? [shape.idColumn!] : [])
    ]
    if (prompt._tag === "Missing" || missing.length > 0) {
      const where = format === "parquet" ? `row ${row.line}` : `line ${row.line}`
      scan.bad.set(index, `${where}: no value for column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `'${c}'`).join(", ")}`)
      continue
    }
    yield { index, question: prompt.text, ...shape.fields, meta: { id: idValue(id) } }
  }
}

const badResult = (message: string): TableResult => ({
  status: "error",
  result: null,
  error_message: message,
  model: "",
  cost_usd: null
})

/** The file's rows again, in order, each with its result (or why it has none). */
export async function* joined(
  path: string,
  format: DatasetFormat,
  results: ReadonlyMap<number, TableResult>,
  bad: ReadonlyMap<number, string>
): AsyncGenerator<OutputRow> {
  let index = 0
  for await (const row of readRows(path, format)) {
    index += 1
    const values = isUnreadable(row) ? {} : row.values
    const problem = bad.get(index)
    yield {
      values,
      result: problem !== undefined
        ? badResult(problem)
        : results.get(index) ?? badResult("no result: the job ended without answering this row")
    }
  }
}
