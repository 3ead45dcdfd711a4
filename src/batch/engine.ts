/**
 * Runs a planned batch: every item starts as soon as the items it depends on have succeeded, with
 * earlier answers substituted into its prompt; dependents of a failed item are not sent. The batch
 * deadline (BATCH_TIMEOUT_MS) and a shutdown's grace period end the items still running as errors.
 */
import { Deferred, Duration, Effect, Exit } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import type { BatchRequest, BatchResponse, QuestionItem, ResultItem } from "../domain/Batch.ts"
import {
  type AnswerValidationError,
  type InvalidBatchError,
  type LlmError,
  UnknownProviderError
} from "../domain/Errors.ts"
import { type CallAccount, CurrentCall } from "../llm/callAccount.ts"
import type { LlmClient } from "../llm/LlmClient.ts"
import { modelId, resolveModel } from "../domain/providers.ts"
import type { SlotClaim } from "../llm/slots.ts"
import type { ChatMessage, CompletionRequest } from "../llm/types.ts"
import type { AnswerCheck } from "../validation/strategies.ts"
import { answerQuestion } from "./answer.ts"
import { type PlannedItem, planBatch } from "./plan.ts"
import { substitute } from "./placeholders.ts"
import { ShutdownSignal } from "./shutdown.ts"

export interface RunOptions {
  /** Called once per item as soon as its result is known (streaming surfaces, progress). */
  readonly onResult?: ((result: ResultItem) => Effect.Effect<void>) | undefined
  /**
   * Who sent the batch (a digest of the bearer key when auth is on): upstream slots go to callers
   * in turn, then to each caller's batches in turn.
   */
  readonly caller?: string | undefined
  /** The process runs no other batch (`llm-batch ask`): it may use every slot, not BATCH_CONCURRENCY. */
  readonly alone?: boolean | undefined
  /** A claim on upstream slots shared with other runs (a job's chunks); by default the run has its own. */
  readonly claim?: SlotClaim | undefined
  /**
   * Results known before the run (a job's chunk: its dependencies in earlier chunks, its questions
   * recorded before a restart): dependencies on them resolve at once, and plan items among them are
   * neither run nor reported again.
   */
  readonly settled?: ReadonlyMap<number, ResultItem> | undefined
  /** `false`: no BATCH_TIMEOUT_MS deadline (a job runs as long as it takes). */
  readonly deadline?: false | undefined
}

/** Plans a batch and runs it: for surfaces that have no use for the plan before the run. */
export const runBatch = Effect.fnUntraced(function*(
  request: BatchRequest,
  options: RunOptions = {}
): Effect.fn.Return<BatchResponse, InvalidBatchError, AppConfig | LlmClient> {
  const config = yield* AppConfig
  return yield* runPlan(yield* planBatch(request, config), options)
})

/**
 * Runs a batch planned by `planBatch`, as planned: a surface that checks the batch before it
 * answers (POST /ask/stream's early 400) runs the same plan instead of planning twice.
 */
export const runPlan = Effect.fnUntraced(function*(
  plan: ReadonlyArray<PlannedItem>,
  options: RunOptions = {}
): Effect.fn.Return<BatchResponse, never, AppConfig | LlmClient> {
  const config = yield* AppConfig
  const started = performance.now()
  const outcomes = new Map<number, Deferred.Deferred<ResultItem>>()
  for (const { item } of plan) outcomes.set(item.index, Deferred.makeUnsafe<ResultItem>())
  const settled = options.settled
  if (settled !== undefined) {
    for (const [index, result] of settled) {
      const outcome = Deferred.makeUnsafe<ResultItem>()
      Deferred.doneUnsafe(outcome, Exit.succeed(result))
      outcomes.set(index, outcome)
    }
  }
  // The batch's claim on upstream slots, and each started item's attempts (by plan position).
  const batch = options.claim ?? { caller: options.caller ?? "", alone: options.alone }
  const accounts: Array<CallAccount | undefined> = []

  // Reported before dependents are released, so a failure streams before the items it skips; in
  // one step, so the deadline cannot report an item twice.
  const report = (result: ResultItem) =>
    Effect.uninterruptible(Effect.gen(function*() {
      if (options.onResult) yield* options.onResult(result)
      yield* Deferred.succeed(outcomes.get(result.index)!, result)
      return result
    }))
  const runPlanned = (planned: PlannedItem, position: number) =>
    Effect.gen(function*() {
      if (settled !== undefined && settled.has(planned.item.index)) return
      // Items past the first LLM_CONCURRENCY would wait for a slot anyway: they are prepared on the
      // next tick, so the first calls go out before a large batch has been set up.
      if (position >= config.llmConcurrency) yield* Effect.yieldNow
      const requestedModel = planned.item.model ?? config.defaultModel
      const dependencies = yield* Effect.forEach(planned.dependsOn, (index) => Deferred.await(outcomes.get(index)!))
      const failed = dependencies.find((dependency) => dependency.status === "error")
      if (failed !== undefined) {
        return yield* report(errorResult(planned.item.index, requestedModel, skippedBecause(failed), 0, 0))
      }
      const account: CallAccount = { batch, attempts: 0 }
      accounts[position] = account
      const result = yield* runItem(
        planned.item,
        requestedModel,
        new Map(dependencies.map((d) => [d.index, d.result])),
        config.maxQuestionChars,
        planned.check,
        planned.item.max_validation_retries ?? config.validationMaxRetries
      ).pipe(Effect.provideService(CurrentCall, account))
      yield* report(result)
    })
  const interrupted = (planned: PlannedItem, position: number, reason: string) =>
    errorResult(
      planned.item.index,
      planned.item.model ?? config.defaultModel,
      reason,
      accounts[position]?.attempts ?? 0,
      performance.now() - started
    )

  // One deadline for the whole batch, not a timer per item (that cost as much CPU as the rest of
  // the engine), raced by the end of a shutdown's grace period when the server has one: whichever
  // comes first interrupts the items still running, which are then reported as such.
  const items = Effect.as(Effect.forEach(plan, runPlanned, { concurrency: "unbounded", discard: true }), undefined)
  const deadline = options.deadline === false
    ? Effect.never
    : Effect.as(Effect.sleep(Duration.millis(config.batchTimeoutMs)), deadlineMessage(config.batchTimeoutMs))
  const shutdown = yield* ShutdownSignal
  const stopped = yield* shutdown === undefined
    ? Effect.raceFirst(items, deadline)
    : Effect.raceAllFirst([items, deadline, Effect.as(Deferred.await(shutdown), shutdownMessage(config.shutdownGraceMs))])
  const results = yield* Effect.forEach(plan, (planned, position) => {
    const outcome = outcomes.get(planned.item.index)!
    return Deferred.isDoneUnsafe(outcome)
      ? Deferred.await(outcome)
      : report(interrupted(planned, position, stopped ?? deadlineMessage(config.batchTimeoutMs)))
  })
  return { results: results.toSorted((a, b) => a.index - b.index) }
})

const runItem = Effect.fnUntraced(function*(
  item: QuestionItem,
  requestedModel: string,
  dependencyResults: ReadonlyMap<number, unknown>,
  maxPromptChars: number,
  check: AnswerCheck,
  maxRepairs: number
): Effect.fn.Return<ResultItem, never, AppConfig | LlmClient> {
  const started = performance.now()
  const elapsed = () => performance.now() - started
  const model = resolveModel(requestedModel)
  if (model instanceof UnknownProviderError) {
    return errorResult(item.index, requestedModel, model.message, 0, elapsed())
  }
  const prompt = substitute(item.question, dependencyResults, maxPromptChars)
  if (prompt._tag === "Error") return errorResult(item.index, modelId(model), prompt.message, 0, elapsed())

  const messages: Array<ChatMessage> = []
  if (item.system) messages.push({ role: "system", content: item.system })
  messages.push({ role: "user", content: prompt.text })
  const request: CompletionRequest = {
    model,
    messages,
    temperature: item.temperature,
    maxTokens: item.max_tokens,
    topP: item.top_p ?? undefined,
    stop: item.stop === null || item.stop === undefined
      ? undefined
      : typeof item.stop === "string"
      ? [item.stop]
      : item.stop,
    seed: item.seed ?? undefined,
    apiBase: item.api_base ?? undefined,
    cache: item.cache
  }
  return yield* answerQuestion(request, check, maxRepairs).pipe(
    Effect.map((answer): ResultItem => ({
      index: item.index,
      status: "success",
      result: answer.result,
      error_message: null,
      confidence: answer.confidence,
      retry_count: answer.retryCount,
      model: modelId(model),
      cached: answer.cached,
      attempts: answer.attempts,
      latency_ms: elapsed(),
      usage: answer.usage,
      finish_reason: answer.finishReason
    })),
    Effect.catch((error: LlmError | AnswerValidationError) =>
      Effect.succeed(
        error._tag === "AnswerValidationError"
          ? {
            ...errorResult(item.index, modelId(model), error.message, error.attempts, elapsed()),
            retry_count: error.repairs,
            cached: error.cached,
            usage: error.usage,
            finish_reason: error.finishReason,
            last_response: error.lastResponse
          }
          : errorResult(item.index, modelId(model), describe(error), attemptsOf(error), elapsed())
      )
    )
  )
})

const deadlineMessage = (batchTimeoutMs: number) =>
  `interrupted: the batch deadline of ${batchTimeoutMs} ms (BATCH_TIMEOUT_MS) passed before this question finished`

const shutdownMessage = (graceMs: number) =>
  `interrupted: the service is shutting down and its grace period of ${graceMs} ms (SHUTDOWN_GRACE_MS) ` +
  "passed before this question finished; send this question again"

const skippedPrefix = "not sent: it depends on question"

/** Names the failure at the root of a chain, so long chains do not nest their messages. */
const skippedBecause = (failed: ResultItem): string =>
  failed.error_message?.startsWith(skippedPrefix)
    ? failed.error_message
    : `${skippedPrefix} ${failed.index}, which failed: ${failed.error_message}`

const attemptsOf = (error: LlmError) => error._tag === "UpstreamError" ? error.attempts : 0

const describe = (error: LlmError): string =>
  error._tag === "UpstreamError" && error.attempts > 1
    ? `${error.message} (gave up after ${error.attempts} attempts)`
    : error.message

/** A question's error result that no upstream call produced (skipped, cancelled, cut short). */
export const errorResult = (
  index: number,
  model: string,
  message: string,
  attempts: number,
  latencyMs: number
): ResultItem => ({
  index,
  status: "error",
  result: null,
  error_message: message,
  confidence: null,
  retry_count: 0,
  model,
  cached: false,
  attempts,
  latency_ms: latencyMs,
  usage: null,
  finish_reason: null
})
