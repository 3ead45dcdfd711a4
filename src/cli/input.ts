/**
 * Turns the text of `llm-batch ask|submit FILE|-` into a request. Two shapes are accepted: one JSON
 * object `{"questions": [...]}` (as POST /ask or POST /batches takes), or JSONL with one
 * `QuestionItem` per line (a line without `index` gets its line number).
 * Every failure is a `BadInputError` that names the line or field path.
 */
import { Cause, Effect, Exit, FileSystem, Result, type Sink, Stdio, Stream } from "effect"
import type { PlatformError } from "effect/PlatformError"
import type { BatchRequest, QuestionItem } from "../domain/Batch.ts"
import { decodeBatchRequest, decodeWith } from "../domain/decode.ts"
import type { InvalidBatchError } from "../domain/Errors.ts"
import { JobRequest } from "../domain/Job.ts"
import { describeLines, isRecord, parseJson, parseJsonlQuestions } from "../domain/jsonl.ts"
import { defaultLane } from "../domain/Lane.ts"
import { BadInputError } from "./errors.ts"

export type InputFormat = "json" | "jsonl"

export interface ParsedInput<Request extends BatchRequest = BatchRequest> {
  /** A `BatchRequest` for `ask` (its decoder refuses `metadata`), a `JobRequest` for `submit`. */
  readonly request: Request
  readonly format: InputFormat
  /** For JSONL: the 1-based line of each question, by position, so messages can name lines. */
  readonly lines: ReadonlyArray<number>
}

const shapes = `expected a JSON object {"questions": [...]} or JSONL with one question object per line`

const bad = (message: string) => Effect.fail(new BadInputError({ message }))

/**
 * A parser whose JSON documents are decoded by `decode`; JSONL is the same for every command, its
 * questions made a request by `fromLines`.
 */
const parserFor = <Request extends BatchRequest>(
  decode: (input: unknown) => Exit.Exit<Request, InvalidBatchError>,
  fromLines: (questions: ReadonlyArray<QuestionItem>) => Request
) =>
(source: string, text: string): Effect.Effect<ParsedInput<Request>, BadInputError> => {
  const parseLines = (text: string): Effect.Effect<ParsedInput<Request>, BadInputError> => {
    const parsed = parseJsonlQuestions(text)
    return Result.isFailure(parsed)
      ? bad(`${source} is not a valid batch:\n  ${parsed.failure.join("\n  ")}`)
      : Effect.succeed({ request: fromLines(parsed.success.questions), format: "jsonl", lines: parsed.success.lines })
  }
  if (text.trim() === "") return bad(`${source} is empty: ${shapes}`)
  const whole = parseJson(text)
  if (Exit.isSuccess(whole)) {
    const value = whole.value
    if (isRecord(value) && "questions" in value) {
      return decode(value).pipe(
        Effect.map((request): ParsedInput<Request> => ({ request, format: "json", lines: [] })),
        Effect.mapError((error) => new BadInputError({ message: `${source} is not a valid batch: ${error.message}` }))
      )
    }
    // A single question object is one line of JSONL.
    if (isRecord(value)) return parseLines(JSON.stringify(value))
    return bad(`${source}: ${shapes}; got ${Array.isArray(value) ? "an array" : typeof value}`)
  }
  // Not one JSON value: JSONL, unless even the first line is not JSON (then report the whole-text error).
  const firstLine = text.split("\n").find((line) => line.trim() !== "") ?? ""
  if (Exit.isFailure(parseJson(firstLine))) {
    return bad(`${source} is not valid JSON (${Cause.squash(whole.cause)}); ${shapes}`)
  }
  return parseLines(text)
}

/** `source` names the input in messages ("questions.json", "stdin"). A `BatchRequest`, as POST /ask takes. */
export const parseInput = parserFor(decodeBatchRequest, (questions): BatchRequest => ({ questions }))

/** The same for `llm-batch submit`: a JSON document may also carry the job's `metadata`. */
export const parseJobInput = parserFor(decodeWith(JobRequest), (questions): JobRequest => ({ questions, lane: defaultLane }))

/** Plan errors name `questions[k]`; for JSONL the user thinks in lines, so say which line. */
export const describeForInput = (input: ParsedInput, message: string): string =>
  input.format === "json" ? message : describeLines(input.lines, message)

export const writeTo = (sink: Sink.Sink<void, string | Uint8Array, never, PlatformError>, text: string) =>
  Stream.run(Stream.succeed(text), sink)

/** The text of FILE, or of stdin for `-` (with a hint on a terminal, where it would seem to hang). */
export const readInputText = Effect.fnUntraced(function*(file: string) {
  const stdio = yield* Stdio.Stdio
  if (file === "-") {
    if (yield* stdio.stdinIsTerminal) {
      yield* writeTo(stdio.stderr(), "reading questions from stdin; end with Ctrl-D\n")
    }
    return yield* stdio.stdin.pipe(
      Stream.decodeText(),
      Stream.mkString,
      Effect.mapError((error) => new BadInputError({ message: `cannot read stdin: ${error.message}` }))
    )
  }
  const fs = yield* FileSystem.FileSystem
  return yield* fs.readFileString(file).pipe(
    Effect.mapError((error) => new BadInputError({ message: `cannot read ${file}: ${error.message}` }))
  )
})
