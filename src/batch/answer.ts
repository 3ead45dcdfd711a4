/**
 * Asks the model one question and turns its completion into a result value: the question's
 * `AnswerCheck` says how to ask and what a valid answer is, the repair loop re-asks until it is,
 * and every call's attempts and usage are summed into the answer.
 */
import { Effect } from "effect"
import type { Json } from "effect/Schema"
import { AppConfig } from "../config/AppConfig.ts"
import type { Usage } from "../domain/Batch.ts"
import { AnswerValidationError, type LlmError, UpstreamError } from "../domain/Errors.ts"
import { LlmClient } from "../llm/LlmClient.ts"
import { rejectsLogprobs, rejectsResponseFormat } from "../llm/refusals.ts"
import type { CallResult, ChatMessage, Completion, CompletionRequest } from "../llm/types.ts"
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
  /** Why the last answer ended, as the provider said it. */
  readonly finishReason: string | null
}

/** The optional request parameters a provider may refuse; each one refused is left out from then on. */
type Refusable = Pick<CompletionRequest, "responseFormat" | "logprobs">

/** `sent` without the parameter `error` refuses, or undefined when it refuses none of them. */
const withoutRefused = (sent: Refusable, error: LlmError): Refusable | undefined =>
  sent.logprobs !== false && rejectsLogprobs(error)
    ? { ...sent, logprobs: false }
    : sent.responseFormat !== undefined && rejectsResponseFormat(error)
    ? { ...sent, responseFormat: undefined }
    : undefined

/** OpenAI's and Anthropic's finish reasons for an answer cut off at max_tokens. */
const cutOff: ReadonlySet<string> = new Set(["length", "max_tokens"])

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
): Effect.fn.Return<Answer, LlmError | AnswerValidationError, AppConfig | LlmClient> {
  const llm = yield* LlmClient
  const config = yield* AppConfig
  let attempts = 0
  let usage: Usage | null = null
  let cached = true
  // A refused parameter is dropped for the rest of the question: the instructions in the system
  // prompt carry the schema on their own, and the answer only loses its confidence.
  // `logprobs` stays out of the request unless turned off, so default cache keys do not change.
  let refusable: Refusable = {
    responseFormat: check.responseFormat,
    ...(config.llmLogprobs ? {} : { logprobs: false })
  }

  // The same call again without what the provider refused: not a repair (retry_count stays),
  // but its attempts count.
  const complete = (messages: ReadonlyArray<ChatMessage>): Effect.Effect<CallResult, LlmError> =>
    Effect.suspend(() => llm.complete({ ...request, ...refusable, messages })).pipe(
      Effect.catch((error) => {
        const accepted = withoutRefused(refusable, error)
        if (accepted === undefined) return Effect.fail(error)
        attempts += error._tag === "UpstreamError" ? error.attempts : 0
        refusable = accepted
        return complete(messages)
      })
    )

  const ask = (messages: ReadonlyArray<ChatMessage>): Effect.Effect<Completion, LlmError> =>
    complete(messages).pipe(
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
    // A cut-off answer rarely validates, and asking again does not help: say what does.
    const truncated = outcome.finishReason !== null && cutOff.has(outcome.finishReason)
      ? `; the answer was cut off at max_tokens (${request.maxTokens}): raise max_tokens`
      : ""
    return yield* new AnswerValidationError({
      message: `no valid answer after ${outcome.repairs} repair ${outcome.repairs === 1 ? "retry" : "retries"} ` +
        `(max_validation_retries): ${outcome.error}${truncated}; the model's last answer is in last_response`,
      lastResponse: outcome.lastResponse,
      finishReason: outcome.finishReason,
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
    cached,
    finishReason: outcome.completion.finishReason
  }
})
