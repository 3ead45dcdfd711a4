/**
 * Questions as JSONL: one `QuestionItem` per line, the shape `POST /batches` takes with
 * `content-type: application/jsonl` and `llm-batch ask|submit` read from a file. A line without
 * `index` gets its 1-based line number (repo_docs/contract.md, *Batch jobs*). Every problem names
 * its line.
 */
import { Cause, Exit, Option, Result } from "effect"
import { QuestionItem } from "./Batch.ts"
import { decodeWith } from "./decode.ts"

export interface JsonlQuestions {
  readonly questions: ReadonlyArray<QuestionItem>
  /** The 1-based line of each question, by position, so later messages can name lines. */
  readonly lines: ReadonlyArray<number>
}

const maxLineErrors = 10

const decodeItem = decodeWith(QuestionItem)

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `JSON.parse` as an Exit: a bad line is data, not an exception. */
export const parseJson = (text: string): Exit.Exit<unknown, SyntaxError> => {
  try {
    return Exit.succeed(JSON.parse(text))
  } catch (error) {
    return Exit.fail(error instanceof SyntaxError ? error : new SyntaxError(String(error)))
  }
}

/**
 * The questions of a JSONL text, or the problems of its bad lines (`line 3: not valid JSON (…)`,
 * `line 5: temprature: unknown field`), the first ten and how many more. Blank lines are skipped;
 * CRLF and a leading byte-order mark are fine.
 */
export const parseJsonlQuestions = (text: string): Result.Result<JsonlQuestions, ReadonlyArray<string>> => {
  const questions: Array<QuestionItem> = []
  const lines: Array<number> = []
  const problems: Array<string> = []
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text
  for (const [offset, line] of body.split("\n").entries()) {
    if (line.trim() === "") continue
    const lineNumber = offset + 1
    const json = parseJson(line)
    if (Exit.isFailure(json)) {
      problems.push(`line ${lineNumber}: not valid JSON (${Cause.squash(json.cause)})`)
      continue
    }
    const value = json.value
    const item = decodeItem(isRecord(value) && !("index" in value) ? { ...value, index: lineNumber } : value)
    if (Exit.isFailure(item)) {
      problems.push(`line ${lineNumber}: ${Option.match(Exit.findErrorOption(item), {
        onNone: () => String(Cause.squash(item.cause)),
        onSome: (error) => error.message
      })}`)
      continue
    }
    questions.push(item.value)
    lines.push(lineNumber)
  }
  if (problems.length === 0) return Result.succeed({ questions, lines })
  const shown = problems.slice(0, maxLineErrors)
  if (problems.length > maxLineErrors) shown.push(`… and ${problems.length - maxLineErrors} more bad lines`)
  return Result.fail(shown)
}

/**
 * Batch errors name `questions[k]` (a position); for JSONL the user thinks in lines, so each one
 * becomes `line N`: "questions[1].index: … questions[0]" → "line 3: index: … line 1".
 */
export const describeLines = (lines: ReadonlyArray<number>, message: string): string =>
  message.replace(/questions\[(\d+)\](\.?)/g, (text, position: string, dot: string) => {
    const line = lines[Number(position)]
    return line === undefined ? text : `line ${line}${dot === "" ? "" : ": "}`
  })
