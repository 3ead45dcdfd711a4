/**
 * Asks the model one question and turns its completion into a result value: the question's
 * `AnswerCheck` says how to ask and what a valid answer is, the repair loop re-asks until it is,
 * and every call's attempts, usage and cost are summed into the question's tally.
 */
import { Effect } from "effect"
import type { Json } from "effect/Schema"
import { AppConfig } from "../config/AppConfig.ts"
import { AnswerValidationError, type LlmError } from "../domain/Errors.ts"
import { pricesWith } from "../gateway/prices.ts"
import { LlmClient } from "../llm/LlmClient.ts"
import { adapterOf } from "../llm/adapters.ts"
import type { CallResult, ChatMessage, Completion, CompletionRequest } from "../llm/types.ts"
import { recordCost } from "../observability/metrics.ts"
import { repairLoop, withInstructions } from "../validation/repair.ts"
import type { AnswerCheck } from "../validation/strategies.ts"
import { type Budget, overBudget, type Tally } from "./budget.ts"

export interface Answer {
  readonly result: Json
  readonly confidence: number | null
  /** Why the last answer ended, as the provider said it. */
  readonly finishReason: string | null
}

/** The optional request parameters a provider may refuse; each one refused is left out from then on. */
type Refusable = Pick<CompletionRequest, "responseFormat" | "logprobs">

/** `sent` without the parameter `error` refuses, or undefined when it refuses none of them. */
const withoutRefused = (sent: Refusable, error: LlmError): Refusable | undefined => {
  if (error._tag !== "UpstreamError" || error.reason !== "refused_parameter") return undefined
  return error.parameter === "logprobs" && sent.logprobs !== false
    ? { ...sent, logprobs: false }
    : error.parameter === "response_format" && sent.responseFormat !== undefined
    ? { ...sent, responseFormat: undefined }
    : undefined
}

/**
 * Asks `request.model`, repairing as the check says; every call is added to `tally` and charged to
 * `budget` as it ends, so a question that fails (or falls back to another model) still counts what
 * it spent, and no repair is sent once the run's budget is spent.
 */
export const answerQuestion = Effect.fnUntraced(function*(
  request: CompletionRequest,
  check: AnswerCheck,
  maxRepairs: number,
  tally: Tally,
  budget: Budget | undefined
): Effect.fn.Return<Answer, LlmError | AnswerValidationError, AppConfig | LlmClient> {
  const llm = yield* LlmClient
  const config = yield* AppConfig
  const prices = yield* pricesWith(config.modelPrices)
  // A refused parameter is dropped for the rest of the question: the instructions in the system
  // prompt carry the schema on their own, and the answer only loses its confidence.
  // `logprobs` stays out of the request unless turned off, so default cache keys do not change.
  let refusable: Refusable = {
    responseFormat: check.responseFormat,
    ...(config.llmLogprobs ? {} : { logprobs: false })
  }
  const failedCalls = (error: LlmError) =>
    tally.countFailedAttempts(error._tag === "UpstreamError" ? error.attempts : 0)

  // The same call again without what the provider refused: not a repair (retry_count stays),
  // but its attempts count.
  const complete = (messages: ReadonlyArray<ChatMessage>): Effect.Effect<CallResult, LlmError> =>
    Effect.suspend(() => llm.complete({ ...request, ...refusable, messages })).pipe(
      Effect.catch((error) => {
        failedCalls(error)
        const accepted = withoutRefused(refusable, error)
        if (accepted === undefined) return Effect.fail(error)
        refusable = accepted
        return complete(messages)
      })
    )

  const ask = (messages: ReadonlyArray<ChatMessage>): Effect.Effect<Completion, LlmError> =>
    complete(messages).pipe(
      Effect.map((call) => {
        const usage = call.completion.usage
        const cached = call.cached === true
        // A failed call is not billed; an answer whose usage is not reported has an unknown cost.
        const cost = cached || usage === null ? null : prices.callCost(request.model, usage, call.lane)
        tally.recordAnswer({ attempts: call.attempts, usage, cached, cost, lane: call.lane }, budget)
        if (!cached) recordCost(request.model, cost)
        return call.completion
      })
    )

  const outcome = yield* repairLoop(
    withInstructions(request.messages, check.instructions),
    check.check,
    maxRepairs,
    ask,
    () => overBudget(budget)
  )
  tally.countRepairs(outcome.repairs)
  if (outcome._tag === "Invalid") {
    // A cut-off answer rarely validates, and asking again does not help: say what does.
    const truncated = outcome.finishReason !== null && adapterOf(request.model.provider).isCutOff(outcome.finishReason)
      ? `; the answer was cut off at max_tokens (${request.maxTokens}): raise max_tokens`
      : ""
    const stopped = outcome.stopped === undefined ? "" : `; the next repair was not sent: ${outcome.stopped}`
    return yield* new AnswerValidationError({
      message: `no valid answer after ${outcome.repairs} repair ${outcome.repairs === 1 ? "retry" : "retries"} ` +
        `(max_validation_retries): ${outcome.error}${truncated}${stopped}; the model's last answer is in last_response`,
      lastResponse: outcome.lastResponse,
      finishReason: outcome.finishReason
    })
  }
  return {
    result: outcome.value,
    confidence: outcome.completion.confidence,
    finishReason: outcome.completion.finishReason
  }
})
