/**
 * Runs a planned batch: every item starts as soon as the items it depends on have succeeded, with
 * earlier answers substituted into its prompt; dependents of a failed item are not sent. The batch
 * deadline (BATCH_TIMEOUT_MS) and a shutdown's grace period end the items still running as errors.
 */
import { Deferred, Duration, Effect, Exit, Semaphore } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import type { BatchRequest, BatchResponse, BatchSummary, ResultItem, Usage } from "../domain/Batch.ts"
import type { InvalidBatchError } from "../domain/Errors.ts"
import { modelChain } from "../gateway/fallbacks.ts"
import { addCost } from "../gateway/prices.ts"
import { type CallAccount, CurrentCall } from "../llm/callAccount.ts"
import type { LlmClient } from "../llm/LlmClient.ts"
import type { SlotClaim } from "../llm/slots.ts"
import { recordQuestion } from "../observability/metrics.ts"
import { traceQuestion } from "../observability/spans.ts"
import { skippedBecause } from "./notSent.ts"
import { type PlannedItem, planBatch } from "./plan.ts"
import { Budget, Tally } from "./budget.ts"
import { errorResult, runQuestion, withMeta } from "./question.ts"
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
  /** The request's `max_cost_usd`: once the run's cost reaches it, no new question is sent. */
  readonly maxCostUsd?: number | undefined
  /** USD spent against `maxCostUsd` before this run (a job's earlier chunks, its work before a restart). */
  readonly spentUsd?: number | undefined
  /**
   * Calls may wait hours on provider batches (a job on the batch lane): at most `gate`'s permits
   * of questions run at once — each waiting one holds ~16 KB of heap, and the gate is shared by the
   * process's jobs — and the budget is not checked here: the lane checks each provider batch's worst
   * case before it is sent.
   */
  readonly providerBatches?: { readonly gate: Semaphore.Semaphore } | undefined
}

/** Plans a batch and runs it: for surfaces that have no use for the plan before the run. */
export const runBatch = Effect.fnUntraced(function*(
  request: BatchRequest,
  options: RunOptions = {}
): Effect.fn.Return<BatchResponse, InvalidBatchError, AppConfig | LlmClient> {
  const config = yield* AppConfig
  const plan = yield* planBatch(request, config)
  return yield* runPlan(plan, { maxCostUsd: request.max_cost_usd, ...options })
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
  const tallies: Array<Tally | undefined> = []
  const budget = Budget.make(options.maxCostUsd, options.spentUsd)
  // With a budget, a question is checked against it when it may be sent at once: no more questions
  // start than the batch may have calls in flight, so the rest wait here rather than in LlmClient's
  // queue, where they would all have passed the check already.
  const gate = options.providerBatches !== undefined
    ? options.providerBatches.gate
    : budget === undefined
    ? undefined
    : yield* Semaphore.make(options.alone === true ? config.llmConcurrency : config.batchConcurrency)

  // Reported before dependents are released, so a failure streams before the items it skips; in
  // one step, so the deadline cannot report an item twice.
  const report = (result: ResultItem) =>
    Effect.uninterruptible(Effect.gen(function*() {
      recordQuestion(result.status)
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
        return yield* report(withMeta(errorResult(planned.item.index, requestedModel, skippedBecause(failed), 0, 0), planned.item))
      }
      const account: CallAccount = { batch, attempts: 0, index: planned.item.index }
      const tally = new Tally()
      accounts[position] = account
      tallies[position] = tally
      const run = runQuestion({
        item: planned.item,
        chain: modelChain(planned.item, config.defaultModel, config.fallbacks),
        dependencyResults: new Map(dependencies.map((d) => [d.index, d.result])),
        maxPromptChars: config.maxQuestionChars,
        check: planned.check,
        maxRepairs: planned.item.max_validation_retries ?? config.validationMaxRetries,
        tally,
        budget
      }).pipe(Effect.provideService(CurrentCall, account))
      const traced = traceQuestion(planned.item.index, requestedModel, run)
      yield* report(withMeta(yield* gate === undefined ? traced : gate.withPermit(traced), planned.item))
    })
  const interrupted = (planned: PlannedItem, position: number, reason: string): ResultItem => {
    const result = errorResult(
      planned.item.index,
      planned.item.model ?? config.defaultModel,
      reason,
      accounts[position]?.attempts ?? 0,
      performance.now() - started
    )
    const tally = tallies[position]
    // A call cut short may still be billed: the cost is known only when every call had ended.
    return withMeta(
      tally === undefined ? result : {
        ...result,
        usage: tally.usage,
        cost_usd: tally.attempts === result.attempts ? tally.costUsd : null
      },
      planned.item
    )
  }

  // One deadline for the whole batch, not a timer per item (that cost as much CPU as the rest of
  // the engine), raced by the end of a shutdown's grace period when the server has one: whichever
  // comes first interrupts the items still running, which are then reported as such.
  // A single question (most `/ask` calls) runs in the race's fiber instead of one forked for it.
  const items = Effect.as(
    plan.length === 1 ? runPlanned(plan[0]!, 0) : Effect.forEach(plan, runPlanned, { concurrency: "unbounded", discard: true }),
    undefined
  )
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
  const sorted = results.toSorted((a, b) => a.index - b.index)
  return { results: sorted, summary: summarize(sorted) }
})

/** The batch's totals: a cost with one unknown part is unknown. */
export const summarize = (results: ReadonlyArray<ResultItem>): BatchSummary => {
  let succeeded = 0
  let costUsd: number | null = 0
  const usage = { prompt_tokens: 0, completion_tokens: 0 } satisfies Usage
  for (const result of results) {
    if (result.status === "success") succeeded += 1
    usage.prompt_tokens += result.usage?.prompt_tokens ?? 0
    usage.completion_tokens += result.usage?.completion_tokens ?? 0
    costUsd = addCost(costUsd, result.cost_usd)
  }
  return { succeeded, failed: results.length - succeeded, usage, cost_usd: costUsd }
}

const deadlineMessage = (batchTimeoutMs: number) =>
  `interrupted: the batch deadline of ${batchTimeoutMs} ms (BATCH_TIMEOUT_MS) passed before this question finished`

const shutdownMessage = (graceMs: number) =>
  `interrupted: the service is shutting down and its grace period of ${graceMs} ms (SHUTDOWN_GRACE_MS) ` +
  "passed before this question finished; send this question again"
