/**
 * The engine as a stream: one `ResultItem` per question, in the order they finish. The batch runs
 * in the stream's scope, so a consumer that stops (a closed connection, an interrupted RPC)
 * interrupts the batch and with it every in-flight upstream call.
 */
import { Effect, Queue, Stream } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import type { BatchRequest, ResultItem } from "../domain/Batch.ts"
import { runBatch, runPlan } from "./engine.ts"
import { type PlannedItem, planBatch } from "./plan.ts"

type RunBatch = ReturnType<typeof runBatch>
/** What running a batch needs; derived, so a new engine requirement flows through unedited. */
export type BatchServices = Effect.Services<RunBatch>
export type BatchError = Effect.Error<RunBatch>

/**
 * A batch planned by `planBatch`, as it runs. `caller`: who sent it; `maxCostUsd`: the request's
 * budget (as in `RunOptions`).
 */
export const streamPlan = (
  plan: ReadonlyArray<PlannedItem>,
  caller?: string,
  maxCostUsd?: number
): Stream.Stream<ResultItem, never, BatchServices> =>
  Stream.callback((queue) =>
    runPlan(plan, { caller, maxCostUsd, onResult: (result) => Effect.asVoid(Queue.offer(queue, result)) }).pipe(
      Effect.andThen(Queue.end(queue))
    )
  )

/** Plans the batch, then streams it; a batch that is invalid as a whole fails the stream. */
export const streamBatch = (
  request: BatchRequest,
  caller?: string
): Stream.Stream<ResultItem, BatchError, BatchServices> =>
  Stream.unwrap(Effect.gen(function*() {
    const config = yield* AppConfig
    return streamPlan(yield* planBatch(request, config), caller, request.max_cost_usd)
  }))
