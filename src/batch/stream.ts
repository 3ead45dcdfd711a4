/**
 * The engine as a stream: one `ResultItem` per question, in the order they finish. The batch runs
 * in the stream's scope, so a consumer that stops (a closed connection, an interrupted RPC)
 * interrupts the batch and with it every in-flight upstream call.
 */
import { Effect, Queue, Stream } from "effect"
import type { BatchRequest, ResultItem } from "../domain/Batch.ts"
import { runBatch } from "./engine.ts"

type RunBatch = ReturnType<typeof runBatch>
/** What running a batch needs; derived, so a new engine requirement flows through unedited. */
export type BatchServices = Effect.Services<RunBatch>
export type BatchError = Effect.Error<RunBatch>

/** `caller`: who sent it, as in `RunOptions`. */
export const streamBatch = (request: BatchRequest, caller?: string): Stream.Stream<ResultItem, BatchError, BatchServices> =>
  Stream.callback((queue) =>
    runBatch(request, { caller, onResult: (result) => Effect.asVoid(Queue.offer(queue, result)) }).pipe(
      Effect.andThen(Queue.end(queue))
    )
  )
