/**
 * A job as an Effect Workflow: one execution per job (idempotency key = job id), one activity per
 * durable step. `start` marks the job running and gives the chunks' dependencies; `chunk-<k>`
 * runs chunk k once the chunks it depends on are done (a few at a time); `complete` marks the job
 * completed. The cluster records each activity's outcome, so after a restart the workflow replays
 * at once past the finished chunks and runs the rest again; a chunk that was running skips the
 * questions it had already recorded.
 */
import { Deferred, Effect, Schema, Semaphore } from "effect"
import { Activity, Workflow } from "effect/workflow"

export const JobWorkflow = Workflow.make("llm-batch/job", {
  payload: { jobId: Schema.String },
  idempotencyKey: ({ jobId }) => jobId
})

/** `cancelled`: the job was cancelled (or failed) meanwhile; the chunk ran no further. */
export const ChunkOutcome = Schema.Literals(["done", "cancelled"])
export type ChunkOutcome = typeof ChunkOutcome.Type

const ChunkDependencies = Schema.Array(Schema.Array(Schema.Int))

/** What each step does; a step fails with the reason the job cannot run. */
export interface JobSteps<R> {
  readonly start: (jobId: string) => Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, string, R>
  readonly runChunk: (jobId: string, chunk: number) => Effect.Effect<ChunkOutcome, string, R>
  readonly complete: (jobId: string) => Effect.Effect<void, string, R>
  readonly fail: (jobId: string, reason: string) => Effect.Effect<void, never, R>
}

export const jobWorkflowLayer = <R>(steps: JobSteps<R>, chunkConcurrency: number) =>
  JobWorkflow.toLayer(({ jobId }) => {
    const body = Effect.gen(function*() {
      const chunks = yield* Activity.make({
        name: "start",
        success: ChunkDependencies,
        error: Schema.String,
        execute: steps.start(jobId)
      })
      const outcomes = chunks.map(() => Deferred.makeUnsafe<ChunkOutcome>())
      const permits = Semaphore.makeUnsafe(chunkConcurrency)
      const runChunk = (chunk: number) =>
        Activity.make({
          name: `chunk-${chunk}`,
          success: ChunkOutcome,
          error: Schema.String,
          execute: steps.runChunk(jobId, chunk)
        })
      yield* Effect.forEach(chunks, (dependencies, chunk) =>
        Effect.gen(function*() {
          let outcome: ChunkOutcome = "done"
          for (const dependency of dependencies) {
            if ((yield* Deferred.await(outcomes[dependency]!)) !== "done") outcome = "cancelled"
          }
          if (outcome === "done") outcome = yield* permits.withPermits(1)(runChunk(chunk))
          yield* Deferred.succeed(outcomes[chunk]!, outcome)
        }), { concurrency: "unbounded", discard: true })
      const stopped = yield* Effect.forEach(outcomes, Deferred.await)
      // A cancelled job is finished by its cancel (the results it still lacked are written there).
      if (stopped.every((outcome) => outcome === "done")) {
        yield* Activity.make({ name: "complete", error: Schema.String, execute: steps.complete(jobId) })
      }
    })
    return body.pipe(
      Effect.catch((reason: string) => Activity.make({ name: "fail", execute: steps.fail(jobId, reason) }))
    )
  })
