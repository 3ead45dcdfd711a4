/**
 * The provider batch lane of this process (docs/jobs.md, *Batch lane*): a route for a job's run
 * on the `batch` or `auto` lane (jobLane.ts), and the cancelling of a job's provider batches.
 */
import { Context, Effect, Layer, Option, type Scope, Semaphore } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { AppConfig } from "../../config/AppConfig.ts"
import type { Lane } from "../../domain/Lane.ts"
import { finishedProviderBatchStatuses } from "../../domain/Lane.ts"
import { isProviderName, type ProviderName, providers } from "../../domain/providers.ts"
import { pricesWith } from "../../gateway/prices.ts"
import { adapters } from "../../llm/adapters.ts"
import type { BatchApi } from "../../llm/batchApi.ts"
import type { LaneRouteShape } from "../../llm/laneRoute.ts"
import { resolveTarget } from "../../llm/LlmClient.ts"
import type { StoredProviderBatch } from "../providerBatches.ts"
import { JobStore } from "../store.ts"
import { makeJobLane } from "./jobLane.ts"
import { untaggedBatch } from "./lines.ts"

/** Said of a batch the job was cancelled while sending, which its provider has no trace of. */
const notSentMessage = (provider: string) =>
  untaggedBatch(provider, "the job was cancelled while this batch was being sent", "runs")

/** Results files of 50,000 lines run to tens of MB: the configured provider's own, not a caller's base. */
const maxBatchResponseBytes = 1024 * 1024 * 1024

export class BatchLane extends Context.Service<BatchLane, {
  /** The route of one run of a job's chunk, open while `Scope` is. */
  readonly route: (jobId: string, lane: Exclude<Lane, "sync">) => Effect.Effect<LaneRouteShape, SqlError, Scope.Scope>
  /** Questions of this process's jobs that may wait on provider batches at once (BATCH_MAX_WAITING). */
  readonly waiting: Semaphore.Semaphore
  /** Asks the providers to cancel the job's batches still running (a cancelled job); failures are logged. */
  readonly cancel: (jobId: string) => Effect.Effect<void>
}>()("llm-batch/BatchLane") {
  static readonly layer = Layer.effect(
    BatchLane,
    Effect.gen(function*() {
      const config = yield* AppConfig
      const store = yield* JobStore
      const fetchOptions = { maxResponseBytes: Math.max(config.maxUpstreamResponseBytes, maxBatchResponseBytes) }
      const apis = {
        openai: adapters.openai.makeBatchApi(fetchOptions),
        anthropic: adapters.anthropic.makeBatchApi(fetchOptions)
      }
      const apiOf = (provider: ProviderName): BatchApi => apis[providers[provider].protocol]

      // A first ask at the provider's own base (the server's key, trusted); repairs and a caller's
      // api_base go the sync way, and so do providers without a batch API (`auto`; `batch` refuses them at submit).
      const takes: LaneRouteShape["takes"] = (request, target) =>
        providers[request.model.provider].capabilities.batch && request.apiBase === undefined && target.trusted &&
        !request.messages.some((message) => message.role === "assistant")

      const route = (jobId: string) =>
        Effect.gen(function*() {
          // The price table loads on the first batch-lane job, not at every start (~120 ms, ~0.8 MB).
          const prices = yield* pricesWith(config.modelPrices)
          return yield* makeJobLane({ jobId, store, settings: config.jobs.batchLane, apiOf, prices, takes }, yield* Effect.scope)
        })

      /** Asks the provider to cancel one of the job's batches; a batch cancelled while being sent is looked for first. */
      const cancelOne = (jobId: string, row: StoredProviderBatch, provider: ProviderName) =>
        Effect.gen(function*() {
          // The provider's configured base and key, where the lane sent it.
          const target = yield* resolveTarget(config, { model: { provider, name: row.model ?? "" } })
          const api = apiOf(provider)
          let batchId = row.batchId
          if (batchId === null) {
            // Cancelled while being sent (the send is stopped by now): the provider may have accepted it.
            const found = yield* api.find(target, { job: jobId, seq: row.seq })
            if (Option.isNone(found)) {
              const error = notSentMessage(provider)
              yield* store.updateProviderBatch(jobId, row.seq, { status: "cancelled", succeeded: 0, failed: 0, error })
              return
            }
            batchId = found.value.id
            yield* store.providerBatchSubmitted(jobId, row.seq, batchId, found.value.state)
            if (finishedProviderBatchStatuses.has(found.value.state)) return
          }
          yield* api.cancel(target, batchId)
          yield* store.updateProviderBatch(jobId, row.seq, { status: "cancelling", succeeded: row.succeeded, failed: row.failed })
        }).pipe(Effect.catchCause((cause) =>
          Effect.logWarning(`batch job ${jobId}: cancelling its provider batch ${row.batchId ?? `#${row.seq}`} failed`, cause)
        ))

      // One batch's failure does not keep the others from being cancelled.
      const cancel = (jobId: string) =>
        Effect.gen(function*() {
          for (const row of yield* store.providerBatches(jobId)) {
            if (finishedProviderBatchStatuses.has(row.status) || !isProviderName(row.provider)) continue
            yield* cancelOne(jobId, row, row.provider)
          }
        }).pipe(Effect.catchCause((cause) => Effect.logWarning(`batch job ${jobId}: reading its provider batches failed`, cause)))

      const waiting = yield* Semaphore.make(config.jobs.batchLane.maxWaiting)
      return BatchLane.of({ route, waiting, cancel })
    })
  )
}
