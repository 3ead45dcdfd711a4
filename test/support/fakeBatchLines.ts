/** One batch line's outcome from its scripted `Step`, and the result lines and counts each provider reports. */
import { anthropicAnswer, logprobsRefusal, openAiAnswer, type Protocol, providerError } from "./fakeAnswers.ts"
import type { FakeBatch } from "./fakeBatchModel.ts"
import type { Step } from "./FakeUpstream.ts"

export type LineOutcome =
  | { readonly kind: "answered"; readonly status: number; readonly body: unknown }
  | { readonly kind: "raw"; readonly line: string }
  | { readonly kind: "expired" }
  | { readonly kind: "cancelled" }

/**
 * What the provider would have answered this line, as the synchronous endpoint answers the same
 * step. Transport faults (`reset`, `delayMs`, `endless`, `headers`) mean nothing inside a batch.
 */
export const answerLine = (protocol: Protocol, step: Step, body: Record<string, unknown>, prompt: string): LineOutcome => {
  if (step.batchRawLine !== undefined) return { kind: "raw", line: step.batchRawLine }
  if (step.batchExpired) return { kind: "expired" }
  const status = step.status ?? 200
  if (step.rejectLogprobs && body.logprobs !== undefined) return { kind: "answered", status: 400, body: logprobsRefusal }
  if (step.json !== undefined) return { kind: "answered", status, body: step.json }
  if (status !== 200) return { kind: "answered", status, body: providerError(protocol, status, `fake error ${status}`) }
  const text = step.bodyBytes !== undefined ? "x".repeat(step.bodyBytes) : step.text ?? `answer to: ${prompt}`
  const model = String(body.model)
  return {
    kind: "answered",
    status,
    body: protocol === "anthropic"
      ? anthropicAnswer(model, text, step.finishReason ?? "end_turn")
      : openAiAnswer(model, text, step.logprobs, step.finishReason ?? "stop")
  }
}

const succeeded = (outcome: LineOutcome | undefined) =>
  outcome?.kind === "raw" || (outcome?.kind === "answered" && outcome.status >= 200 && outcome.status < 300)

const count = (batch: FakeBatch, test: (outcome: LineOutcome | undefined) => boolean) =>
  batch.lines.filter((line) => line.outcome !== undefined && test(line.outcome)).length

export const openAiCounts = (batch: FakeBatch) => {
  const completed = count(batch, succeeded)
  return { total: batch.lines.length, completed, failed: batch.done - completed }
}

export const anthropicCounts = (batch: FakeBatch) => ({
  processing: batch.lines.length - batch.done,
  succeeded: count(batch, succeeded),
  errored: count(batch, (o) => o?.kind === "answered" && !succeeded(o)),
  canceled: count(batch, (o) => o?.kind === "cancelled"),
  expired: count(batch, (o) => o?.kind === "expired")
})

const unrunErrors = {
  expired: { code: "batch_expired", message: "This request could not be executed before the completion window expired." },
  cancelled: { code: "batch_cancelled", message: "This request was not executed because the batch was cancelled." }
} as const

/** An ended OpenAI batch's output and error files (JSONL lines, in the batch's result order). */
export const openAiResultFiles = (batch: FakeBatch, httpErrorsInOutputFile: boolean) => {
  const output: Array<string> = []
  const errors: Array<string> = []
  for (const index of batch.resultOrder) {
    const line = batch.lines[index]!
    const outcome = line.outcome
    if (outcome === undefined) continue
    const head = { id: `batch_req_${batch.id}_${index}`, custom_id: line.customId }
    if (outcome.kind === "raw") {
      output.push(outcome.line)
    } else if (outcome.kind === "answered") {
      const response = { status_code: outcome.status, request_id: `req_${batch.id}_${index}`, body: outcome.body }
      const into = succeeded(outcome) || httpErrorsInOutputFile ? output : errors
      into.push(JSON.stringify({ ...head, response, error: null }))
    } else {
      errors.push(JSON.stringify({ ...head, response: null, error: unrunErrors[outcome.kind] }))
    }
  }
  return { output, errors }
}

/** An ended Anthropic batch's results (JSONL lines, in the batch's result order). */
export const anthropicResultLines = (batch: FakeBatch): ReadonlyArray<string> =>
  batch.resultOrder.flatMap((index) => {
    const line = batch.lines[index]!
    const outcome = line.outcome
    if (outcome === undefined) return []
    if (outcome.kind === "raw") return [outcome.line]
    const result = outcome.kind === "expired"
      ? { type: "expired" }
      : outcome.kind === "cancelled"
      ? { type: "canceled" }
      : succeeded(outcome)
      ? { type: "succeeded", message: outcome.body }
      : { type: "errored", error: outcome.body }
    return [JSON.stringify({ custom_id: line.customId, result })]
  })
