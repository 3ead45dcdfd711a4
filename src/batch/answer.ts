/**
 * Asks the model one question and turns its completion into a result value: the question's
 * `AnswerCheck` says how to ask and what a valid answer is, the repair loop re-asks until it is,
 * and every call's attempts and usage are summed into the answer.
 */
import { Effect } from "effect"
import type { Json } from "effect/Schema"
import type { Usage } from "../domain/Batch.ts"
import { AnswerValidationError, type LlmError, UpstreamError } from "../domain/Errors.ts"
import { LlmClient } from "../llm/LlmClient.ts"
import { rejectsResponseFormat } from "../llm/structuredOutput.ts"
import type { ChatMessage, Completion, CompletionRequest } from "../llm/types.ts"
import { repairLoop, withInstructions } from "../validation/repair.ts"
import type { AnswerCheck } from "../validation/strategies.ts"

export interface Answer {
  readonly result: Json
  readonly confidence: number | null
  /** Repair prompts sent. */
  readonly retryCount: number
  /** Upstream calls made, repairs and transport retries included. */
  readonly attempts: number
  /** Summed over every call. */
  readonly usage: Usage | null
  /** Every call behind this answer was answered by the cache. */
  readonly cached: boolean
}

const addUsage = (total: Usage | null, more: Usage | null): Usage | null =>
  total === null
    ? more
    : more === null
    ? total
    : {
      prompt_tokens: total.prompt_tokens + more.prompt_tokens,
      completion_tokens: total.completion_tokens + more.completion_tokens
    }

/** The same error, counting the calls this question made before it too. */
const withEarlierAttempts = (error: LlmError, earlier: number): LlmError =>
  error._tag !== "UpstreamError" || earlier === 0 ? error : new UpstreamError({
    provider: error.provider,
    message: error.message,
    retryable: error.retryable,
    attempts: earlier + error.attempts,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs })
  })

export const answerQuestion = Effect.fnUntraced(function*(
  request: CompletionRequest,
  check: AnswerCheck,
  maxRepairs: number
): Effect.fn.Return<Answer, LlmError | AnswerValidationError, LlmClient> {
  const llm = yield* LlmClient
  let attempts = 0
  let usage: Usage | null = null
  let cached = true
  // Dropped for the rest of the question once the provider refuses it: the instructions in the
  // system prompt carry the schema on their own.
  let responseFormat = check.responseFormat

  const complete = (messages: ReadonlyArray<ChatMessage>) =>
    Effect.suspend(() => llm.complete({ ...request, messages, responseFormat }))

  const ask = (messages: ReadonlyArray<ChatMessage>): Effect.Effect<Completion, LlmError> =>
    complete(messages).pipe(
      Effect.catchIf(
        (error) => responseFormat !== undefined && rejectsResponseFormat(error),
        (refused) => {
          attempts += refused._tag === "UpstreamError" ? refused.attempts : 0
          responseFormat = undefined
          return complete(messages)
        }
      ),
      Effect.mapError((error) => withEarlierAttempts(error, attempts)),
      Effect.map((call) => {
        attempts += call.attempts
        usage = addUsage(usage, call.completion.usage)
        cached &&= call.cached === true
        return call.completion
      })
    )

  const outcome = yield* repairLoop(
    withInstructions(request.messages, check.instructions),
    check.check,
    maxRepairs,
    ask
  )
  if (outcome._tag === "Invalid") {
    return yield* new AnswerValidationError({
      message: `no valid answer after ${outcome.repairs} repair ${outcome.repairs === 1 ? "retry" : "retries"} ` +
        `(max_validation_retries): ${outcome.error}; the model's last answer is in last_response`,
      lastResponse: outcome.lastResponse,
      repairs: outcome.repairs,
      attempts,
      usage,
      cached
    })
  }
  return {
    result: outcome.value,
    confidence: outcome.completion.confidence,
    retryCount: outcome.repairs,
    attempts,
    usage,
    cached
  }
})
