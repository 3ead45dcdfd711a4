/**
 * One job's batch lane in this process: the calls its questions make are collected into provider
 * batches (one per provider, model and base, cut by the provider's request and byte limits), each
 * stored before it is sent and polled until it ends, and every line's result handed to the call
 * waiting for it. Whatever dependency wave a question is in, its call joins the batch being
 * collected when it is made: a chain of depth d takes d turnarounds and never holds back the rest.
 *
 * A restart (or another replica) runs the job's questions again: a call whose line is in a stored
 * batch waits for that batch (`attach`) instead of sending it again.
 */
import { Cause, Clock, Deferred, Duration, Effect, Exit, Option, type Scope } from "effect"
import type { BatchLaneSettings } from "../../config/AppConfig.ts"
import { UpstreamError } from "../../domain/Errors.ts"
import { finishedProviderBatchStatuses, type ProviderBatchStatus } from "../../domain/Lane.ts"
import { isProviderName, type ProviderName } from "../../domain/providers.ts"
import { roundUsd } from "../../batch/budget.ts"
import type { Prices } from "../../gateway/prices.ts"
import { estimatePromptTokens } from "../../gateway/rateLimits.ts"
import type { BatchApi, EncodedLine, LineResult } from "../../llm/batchApi.ts"
import type { LaneRouteShape, LineKey } from "../../llm/laneRoute.ts"
import type { Completion, CompletionRequest, Target } from "../../llm/types.ts"
import type { JobStoreShape } from "../store.ts"
import { customIdOf, failure, lineOutcome, untaggedBatch, wholeBatchFailure } from "./lines.ts"

type Outcome = Exit.Exit<Completion, UpstreamError>

interface Tracked {
  readonly provider: ProviderName
  batchId: string | null
  status: ProviderBatchStatus
  readonly lines: ReadonlyArray<string>
  /** Its worst-case cost while it runs (max_cost_usd), 0 once ended. */
  worstUsd: number
  following: boolean
}

interface Group {
  readonly key: string
  readonly provider: ProviderName
  readonly model: string
  readonly target: Target
  readonly api: BatchApi
  readonly lines: Array<EncodedLine>
  readonly keys: Array<LineKey>
  bytes: number
  lastAdd: number
  worstUsd: number | null
}

export interface JobLaneOptions {
  readonly jobId: string
  readonly store: JobStoreShape
  readonly settings: BatchLaneSettings
  readonly apiOf: (provider: ProviderName) => BatchApi
  readonly prices: Prices
  /** Whether a call goes in a provider batch (the job's lane and the provider's capabilities). */
  readonly takes: LaneRouteShape["takes"]
}

const finished = (status: ProviderBatchStatus) => finishedProviderBatchStatuses.has(status)

/** Said of a batch stored as `submitting` whose provider id was never stored and cannot be found. */
const lostMessage = (provider: string) =>
  `${untaggedBatch(provider, "the process stopped while sending this batch", "ran")}; its lines were sent again`

/** A route for the job's run, open until `scope` closes (its pollers and pending batches with it). */
export const makeJobLane = (options: JobLaneOptions, scope: Scope.Scope) =>
  Effect.gen(function*() {
    const { jobId, settings, store } = options
    const tracked = new Map<number, Tracked>()
    const known = new Map<string, number>()
    let wave = 0
    for (const row of yield* store.providerBatches(jobId)) {
      // Written by this runner: a provider of another version's table is left alone.
      if (!isProviderName(row.provider)) continue
      const lines = row.lines.map((line: LineKey) => customIdOf(jobId, line))
      for (const id of lines) known.set(id, row.seq)
      tracked.set(row.seq, {
        provider: row.provider,
        batchId: row.batchId,
        status: row.status,
        lines,
        worstUsd: 0,
        following: false
      })
      wave = Math.max(wave, row.wave)
    }
    // After a restart the next batch starts a new wave.
    let endedSinceFlush = wave > 0
    let reservedUsd = 0
    const outcomes = new Map<string, Outcome>()
    const waiters = new Map<string, Deferred.Deferred<Completion, UpstreamError>>()
    const groups = new Map<string, Group>()
    const fork = <A, E>(effect: Effect.Effect<A, E>) => Effect.asVoid(Effect.forkIn(effect, scope))

    const deliver = (id: string, outcome: Outcome) => {
      outcomes.set(id, outcome)
      const waiter = waiters.get(id)
      if (waiter !== undefined) Deferred.doneUnsafe(waiter, outcome)
    }

    const ended = (batch: Tracked) => {
      reservedUsd -= batch.worstUsd
      batch.worstUsd = 0
      endedSinceFlush = true
    }

    const logged = <A>(what: string, effect: Effect.Effect<A, unknown>) =>
      effect.pipe(Effect.tapError((error) => Effect.logWarning(`batch job ${jobId}: ${what}`, error)), Effect.option)

    /** Reads a sent batch every poll interval until it ends, then hands out its lines' results. */
    const follow = (seq: number, batch: Tracked, batchId: string, target: Target, api: BatchApi): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (!finished(batch.status)) {
          yield* Effect.sleep(Duration.millis(settings.pollIntervalMs))
          const status = yield* logged(`reading ${batch.provider} batch ${batchId}`, api.status(target, batchId))
          if (status._tag === "None") continue
          batch.status = status.value.state
          const { error, failed, state, succeeded } = status.value
          yield* logged("storing a provider batch's state", store.updateProviderBatch(jobId, seq, { status: state, succeeded, failed, error }))
        }
        if (batch.status === "failed") {
          const refused = wholeBatchFailure(batch.provider, `${batch.provider} refused batch ${batchId} as a whole`, false)
          for (const id of batch.lines) deliver(id, Exit.fail(refused))
          ended(batch)
          return
        }
        while (true) {
          const results = yield* logged(`reading ${batch.provider} batch ${batchId}'s results`, api.results(target, batchId))
          if (results._tag === "Some") {
            const byId = new Map<string, LineResult>(results.value.map((line) => [line.customId, line]))
            for (const id of batch.lines) deliver(id, yield* Effect.exit(lineOutcome(batch.provider, batchId, byId.get(id))))
            ended(batch)
            return
          }
          yield* Effect.sleep(Duration.millis(settings.pollIntervalMs))
        }
      })

    /** A stored batch a call's line is in: followed once per process, found again if its id was lost. */
    const attach = (seq: number, target: Target) =>
      Effect.gen(function*() {
        const batch = tracked.get(seq)!
        if (batch.following) return
        batch.following = true
        const api = options.apiOf(batch.provider)
        if (batch.batchId !== null) return yield* fork(follow(seq, batch, batch.batchId, target, api))
        const found = batch.status === "submitting"
          ? yield* logged("looking for a batch whose id was lost", api.find(target, { job: jobId, seq }))
          : undefined
        if (found?._tag === "Some" && found.value._tag === "Some") {
          const status = found.value.value
          batch.batchId = status.id
          batch.status = status.state
          yield* logged("storing a found batch", store.providerBatchSubmitted(jobId, seq, status.id, status.state))
          return yield* fork(follow(seq, batch, status.id, target, api))
        }
        const message = lostMessage(batch.provider)
        yield* logged("storing a lost batch", store.updateProviderBatch(jobId, seq, { status: "failed", succeeded: 0, failed: batch.lines.length, error: message }))
        batch.status = "failed"
        // Transient: the calls go again, in a new batch.
        for (const id of batch.lines) deliver(id, Exit.fail(wholeBatchFailure(batch.provider, message, true)))
      })

    /** Over max_cost_usd with this batch's worst case (prompt + max_tokens at the batch price)? */
    const overBudget = (group: Group) =>
      Effect.gen(function*() {
        if (group.worstUsd === null) return undefined
        const budget = yield* store.budget(jobId)
        if (budget === undefined || budget.spentUsd + reservedUsd + group.worstUsd <= budget.maxCostUsd) return undefined
        return `not sent: this provider batch's worst case ($${roundUsd(group.worstUsd)}: prompt tokens + max_tokens at ` +
          `the batch price) would take the job past its max_cost_usd of $${budget.maxCostUsd} ` +
          `($${roundUsd(budget.spentUsd + reservedUsd)} spent or held by batches still running)`
      })

    const send = (group: Group) =>
      Effect.gen(function*() {
        const ids = group.lines.map((line) => line.customId)
        const over = yield* overBudget(group)
        if (over !== undefined) {
          const error = failure(group.provider, over, "over_budget")
          for (const id of ids) deliver(id, Exit.fail(error))
          return
        }
        if (wave === 0 || endedSinceFlush) wave += 1
        endedSinceFlush = false
        const seq = yield* store.planProviderBatch(jobId, {
          provider: group.provider,
          model: group.model,
          baseUrl: group.target.baseUrl,
          wave,
          lines: group.keys
        })
        const batch: Tracked = {
          provider: group.provider,
          batchId: null,
          status: "submitting",
          lines: ids,
          worstUsd: group.worstUsd ?? 0,
          following: true
        }
        tracked.set(seq, batch)
        for (const id of ids) known.set(id, seq)
        reservedUsd += batch.worstUsd
        const sent = yield* Effect.exit(group.api.submit(group.target, group.lines, { job: jobId, seq }))
        if (Exit.isFailure(sent)) {
          const error = Option.getOrElse(
            Cause.findErrorOption(sent.cause),
            () => wholeBatchFailure(group.provider, `sending the batch to ${group.provider} was interrupted`, true)
          )
          yield* store.updateProviderBatch(jobId, seq, { status: "failed", succeeded: 0, failed: ids.length, error: error.message })
          batch.status = "failed"
          ended(batch)
          for (const id of ids) deliver(id, Exit.fail(error))
          return
        }
        batch.batchId = sent.value.id
        batch.status = sent.value.state
        yield* store.providerBatchSubmitted(jobId, seq, sent.value.id, sent.value.state)
        yield* follow(seq, batch, sent.value.id, group.target, group.api)
      }).pipe(
        // The store failed: the calls waiting on this group are told so instead of waiting forever.
        Effect.catchCause((cause) =>
          Effect.gen(function*() {
            yield* Effect.logError(`batch job ${jobId}: a provider batch could not be stored`, cause)
            const error = wholeBatchFailure(group.provider, "the job store could not record the provider batch", true)
            for (const line of group.lines) if (!outcomes.has(line.customId)) deliver(line.customId, Exit.fail(error))
          })
        )
      )

    const close = (group: Group) =>
      Effect.suspend(() => {
        if (groups.get(group.key) !== group) return Effect.void
        groups.delete(group.key)
        return fork(send(group))
      })

    /** Sends the group once no line has joined it for `collectMs`. */
    const collect = (group: Group): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (groups.get(group.key) === group) {
          yield* Effect.sleep(Duration.millis(settings.collectMs))
          const now = yield* Clock.currentTimeMillis
          if (now - group.lastAdd >= settings.collectMs) yield* close(group)
        }
      })

    const worstCase = (request: CompletionRequest) =>
      options.prices.callCost(request.model, {
        prompt_tokens: estimatePromptTokens(request.messages.map((message) => message.content)),
        completion_tokens: request.maxTokens
      }, "batch")

    const add = (id: string, request: CompletionRequest, target: Target, key: LineKey) =>
      Effect.gen(function*() {
        const { provider, name } = request.model
        const api = options.apiOf(provider)
        const encoded = api.encodeLine({ customId: id, request })
        const line: EncodedLine = { customId: id, request, encoded }
        const bytes = Buffer.byteLength(encoded) + 1
        const maxRequests = Math.min(api.limits.maxRequests, settings.maxRequests)
        const maxBytes = Math.min(api.limits.maxBytes, settings.maxBytes)
        const groupKey = `${provider}\u0000${name}\u0000${target.baseUrl}`
        let group = groups.get(groupKey)
        if (group !== undefined && group.bytes + bytes > maxBytes) yield* close(group)
        group = groups.get(groupKey)
        const now = yield* Clock.currentTimeMillis
        if (group === undefined) {
          group = { key: groupKey, provider, model: name, target, api, lines: [], keys: [], bytes: 0, lastAdd: now, worstUsd: 0 }
          groups.set(groupKey, group)
          yield* fork(collect(group))
        }
        group.lines.push(line)
        group.keys.push(key)
        group.bytes += bytes
        group.lastAdd = now
        const worst = worstCase(request)
        group.worstUsd = group.worstUsd === null || worst === null ? null : group.worstUsd + worst
        if (group.lines.length >= maxRequests) yield* close(group)
      })

    const complete = (request: CompletionRequest, target: Target, key: LineKey): Effect.Effect<Completion, UpstreamError> =>
      Effect.suspend(() => {
        const id = customIdOf(jobId, key)
        const settled = outcomes.get(id)
        if (settled !== undefined) return settled
        const waiter = Deferred.makeUnsafe<Completion, UpstreamError>()
        waiters.set(id, waiter)
        const seq = known.get(id)
        const place = seq === undefined ? add(id, request, target, key) : attach(seq, target)
        return Effect.andThen(place, Deferred.await(waiter)).pipe(Effect.ensuring(Effect.sync(() => waiters.delete(id))))
      })

    return { takes: options.takes, complete } satisfies LaneRouteShape
  })
