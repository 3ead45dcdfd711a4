/**
 * Reading a pasted or uploaded batch with the service's own decoders (src/domain): the same
 * messages its 400s carry, before anything is sent. JSON is `{"questions": […], …}`; anything
 * else is read as JSONL, one question per line.
 */
import { Exit, Option, Result, Schema } from "effect"
import { type BatchRequest, QuestionItem } from "../../../src/domain/Batch.ts"
import { decodeBatchRequest, decodeWith } from "../../../src/domain/decode.ts"
import { JobRequest } from "../../../src/domain/Job.ts"
import { parseJson, parseJsonlQuestions } from "../../../src/domain/jsonl.ts"
import type { Lane } from "../../../src/domain/Lane.ts"

export type Parsed =
  | { readonly format: "empty" }
  | { readonly format: "json" | "jsonl"; readonly problems: ReadonlyArray<string> }
  | { readonly format: "json"; readonly value: unknown; readonly job: JobRequest; readonly problems?: undefined }
  | {
    readonly format: "jsonl"
    readonly text: string
    readonly questions: ReadonlyArray<QuestionItem>
    readonly lines: ReadonlyArray<number>
    readonly problems?: undefined
  }

const decodeJobRequest = decodeWith(JobRequest)

const errorText = <A>(exit: Exit.Exit<A, { readonly message: string }>): string =>
  Option.match(Exit.findErrorOption(exit), { onNone: () => "invalid", onSome: (error) => error.message })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const parseInput = (text: string, hint?: "json" | "jsonl"): Parsed => {
  if (text.trim() === "") return { format: "empty" }
  const whole = hint === "jsonl" ? undefined : parseJson(text.trim())
  // One JSON value holding `questions`, or a file named .json: a JSON request; else JSONL.
  if (whole !== undefined && (hint === "json" || Exit.isSuccess(whole) && (!isRecord(whole.value) || "questions" in whole.value))) {
    if (Exit.isFailure(whole)) return { format: "json", problems: [`request body is not valid JSON: ${errorText(whole)}`] }
    const job = decodeJobRequest(whole.value)
    return Exit.isSuccess(job) ? { format: "json", value: whole.value, job: job.value } : { format: "json", problems: [errorText(job)] }
  }
  const parsed = parseJsonlQuestions(text)
  return Result.isSuccess(parsed)
    ? { format: "jsonl", text, questions: parsed.success.questions, lines: parsed.success.lines }
    : { format: "jsonl", problems: parsed.failure }
}

/** The questions of a valid input (what the graph shows). */
export const questionsOf = (parsed: Parsed): ReadonlyArray<QuestionItem> =>
  parsed.format === "empty" || parsed.problems !== undefined ? [] : parsed.format === "json" ? parsed.job.questions : parsed.questions

/** The request `POST /ask/stream` takes, or why this input cannot be run now (a job's `metadata`, say). */
export const askRequest = (parsed: Parsed): { readonly request: BatchRequest } | { readonly problem: string } => {
  if (parsed.format === "empty") return { problem: "Paste or upload a batch first." }
  if (parsed.problems !== undefined) return { problem: parsed.problems.join("; ") }
  if (parsed.format === "jsonl") return { request: { questions: parsed.questions } }
  const request = decodeBatchRequest(parsed.value)
  return Exit.isSuccess(request) ? { request: request.value } : { problem: errorText(request) }
}

/** The lane a JSON input names itself, if it does (the form's lane selector then shows it). */
export const ownLane = (parsed: Parsed): Lane | undefined =>
  parsed.format === "json" && parsed.problems === undefined && isRecord(parsed.value) && "lane" in parsed.value
    ? parsed.job.lane
    : undefined

const encodeQuestions = Schema.encodeSync(Schema.Array(QuestionItem))

/**
 * `POST /batches`'s body for a valid input on `lane`, or undefined for an input that is not. JSON
 * gets the lane; JSONL is sent as is on the sync lane, and otherwise as JSON, since a JSONL body
 * carries only questions.
 */
export const jobBody = (
  parsed: Parsed,
  lane: Lane
): { readonly json: unknown } | { readonly jsonl: string } | undefined => {
  if (parsed.format === "empty" || parsed.problems !== undefined) return undefined
  if (parsed.format === "json") return { json: { ...(isRecord(parsed.value) ? parsed.value : {}), lane } }
  return lane === "sync" ? { jsonl: parsed.text } : { json: { questions: encodeQuestions(parsed.questions), lane } }
}
