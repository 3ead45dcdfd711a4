/**
 * A dataset file's rows as questions (`rowQuestion`, src/domain/datasetRow.ts), and back: its rows
 * again, in order, each joined to its result by its number.
 */
import { isUnreadable, type QuestionShape, rowQuestion } from "../../domain/datasetRow.ts"
import type { TableResult } from "../../domain/resultsTable.ts"
import { type DatasetFormat, readRows } from "./rows.ts"
import type { OutputRow } from "./write.ts"

export type { QuestionShape }

/** What a pass over the file learned: its bad rows (by number) and, for JSONL, its columns. */
export class Scan {
  rows = 0
  readonly bad = new Map<number, string>()
  readonly columns = new Set<string>()
}

/** The questions of the file's good rows, in order; `scan` collects the rest as it goes. */
export async function* questionsOf(path: string, format: DatasetFormat, shape: QuestionShape, scan: Scan) {
  for await (const row of readRows(path, format)) {
    scan.rows += 1
    if (!isUnreadable(row)) for (const column of Object.keys(row.values)) scan.columns.add(column)
    const outcome = rowQuestion(row, scan.rows, format, shape)
    if (outcome._tag === "Bad") scan.bad.set(scan.rows, outcome.problem)
    else yield outcome.question
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
