/**
 * Turns the text of `llm-batch ask FILE|-` into a `BatchRequest`. Two shapes are accepted: one JSON
 * object `{"questions": [...]}` (as POST /ask takes), or JSONL with one `QuestionItem` per line
 * (a line without `index` gets its line number).
 * Every failure is a `BadInputError` that names the line or field path.
 */
import { Cause, Effect, Exit, Result } from "effect"
import { type BatchRequest, QuestionItem } from "../domain/Batch.ts"
import { decodeBatchRequest, decodeWith } from "../domain/decode.ts"
import { BadInputError } from "./errors.ts"

export type InputFormat = "json" | "jsonl"

export interface ParsedInput {
  readonly request: BatchRequest
  readonly format: InputFormat
  /** For JSONL: the 1-based line of each question, by position, so messages can name lines. */
  readonly lines: ReadonlyArray<number>
}

const shapes = `expected a JSON object {"questions": [...]} or JSONL with one question object per line`
const maxLineErrors = 10

const parseJson = (text: string): Exit.Exit<unknown, SyntaxError> => {
  try {
    return Exit.succeed(JSON.parse(text))
  } catch (error) {
    return Exit.fail(error instanceof SyntaxError ? error : new SyntaxError(String(error)))
  }
}

const decodeItem = decodeWith(QuestionItem)

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const bad = (message: string) => Effect.fail(new BadInputError({ message }))

const parseLines = (source: string, text: string): Effect.Effect<ParsedInput, BadInputError> =>
  Effect.gen(function*() {
    const items: Array<QuestionItem> = []
    const lines: Array<number> = []
    const problems: Array<string> = []
    for (const [offset, line] of text.split("\n").entries()) {
      if (line.trim() === "") continue
      const lineNumber = offset + 1
      const json = parseJson(line)
      if (Exit.isFailure(json)) {
        problems.push(`line ${lineNumber}: not valid JSON (${Cause.squash(json.cause)})`)
        continue
      }
      // SPEC (batch jobs, JSONL): a line without `index` is numbered by its 1-based line.
      const item = yield* Effect.result(
        decodeItem(isRecord(json.value) && !("index" in json.value) ? { ...json.value, index: lineNumber } : json.value)
      )
      if (Result.isFailure(item)) {
        problems.push(`line ${lineNumber}: ${item.failure.message}`)
        continue
      }
      items.push(item.success)
      lines.push(lineNumber)
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, maxLineErrors)
      if (problems.length > maxLineErrors) shown.push(`… and ${problems.length - maxLineErrors} more bad lines`)
      return yield* bad(`${source} is not a valid batch:\n  ${shown.join("\n  ")}`)
    }
    return { request: { questions: items }, format: "jsonl", lines }
  })

/** `source` names the input in messages ("questions.json", "stdin"). */
export const parseInput = (source: string, text: string): Effect.Effect<ParsedInput, BadInputError> => {
  if (text.trim() === "") return bad(`${source} is empty: ${shapes}`)
  const whole = parseJson(text)
  if (Exit.isSuccess(whole)) {
    const value = whole.value
    if (isRecord(value) && "questions" in value) {
      return decodeBatchRequest(value).pipe(
        Effect.map((request): ParsedInput => ({ request, format: "json", lines: [] })),
        Effect.mapError((error) => new BadInputError({ message: `${source} is not a valid batch: ${error.message}` }))
      )
    }
    // A single question object is one line of JSONL.
    if (isRecord(value)) return parseLines(source, JSON.stringify(value))
    return bad(`${source}: ${shapes}; got ${Array.isArray(value) ? "an array" : typeof value}`)
  }
  // Not one JSON value: JSONL, unless even the first line is not JSON (then report the whole-text error).
  const firstLine = text.split("\n").find((line) => line.trim() !== "") ?? ""
  if (Exit.isFailure(parseJson(firstLine))) {
    return bad(`${source} is not valid JSON (${Cause.squash(whole.cause)}); ${shapes}`)
  }
  return parseLines(source, text)
}

/** Plan errors name `questions[k]`; for JSONL the user thinks in lines, so say which line. */
export const describeForInput = (input: ParsedInput, message: string): string =>
  input.format === "json"
    ? message
    : message.replace(/questions\[(\d+)\](\.?)/g, (text, position: string, dot: string) => {
      const line = input.lines[Number(position)]
      return line === undefined ? text : `line ${line}${dot === "" ? "" : ": "}`
    })
