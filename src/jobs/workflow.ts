/**
 * A job as Effect Workflows: one `JobWorkflow` execution per job (idempotency key = job id), and
 * one child `ChunkWorkflow` per chunk (key `<jobId>/<chunk>`), so that the cluster places each
 * chunk on the shard its key hashes to: with replicas, a job's chunks spread over them. The job's
 * `start` activity marks it running and gives the chunks' dependencies; each chunk starts once the
 * chunks it depends on are done (a few at a time) and runs as the chunk's one activity; `complete`
 * marks the job completed. The cluster records each outcome, so after a restart or a replica's
 * death the workflows replay at once past the finished chunks and run the rest again; a chunk that
 * was running skips the questions it had already recorded.
 */
import { Effect, Layer, Option, Schema } from "effect"
import { Activity, Workflow, WorkflowEngine } from "effect/workflow"

export const JobWorkflow = Workflow.make("llm-batch/job", {
  payload: { jobId: Schema.String },
  idempotencyKey: ({ jobId }) => jobId
})

/** `cancelled`: the job was cancelled (or failed) meanwhile; the chunk ran no further. */
export const ChunkOutcome = Schema.Literals(["done", "cancelled"])
export type ChunkOutcome = typeof ChunkOutcome.Type

export const ChunkWorkflow = Workflow.make("llm-batch/chunk", {
  payload: { jobId: Schema.String, chunk: Schema.Int },
  success: ChunkOutcome,
  error: Schema.String,
  idempotencyKey: ({ chunk, jobId }) => `${jobId}/${chunk}`
})

const ChunkDependencies = Schema.Array(Schema.Array(Schema.Int))

/** What each step does; a step fails with the reason the job cannot run. */
export interface JobSteps<R> {
  readonly start: (jobId: string) => Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, string, R>
  readonly runChunk: (jobId: string, chunk: number) => Effect.Effect<ChunkOutcome, string, R>
  readonly complete: (jobId: string) => Effect.Effect<void, string, R>
  readonly fail: (jobId: string, reason: string) => Effect.Effect<void, never, R>
}

/** The chunk's run is an activity: once it has an outcome, a replay does not run it again. */
const chunkWorkflowLayer = <R>(steps: JobSteps<R>) =>
  ChunkWorkflow.toLayer(({ chunk, jobId }) =>
    Activity.make({ name: "run", success: ChunkOutcome, error: Schema.String, execute: steps.runChunk(jobId, chunk) })
  )

/**
 * Each run of a job's workflow is short: it reads which chunks have ended, starts the next ones
 * whose dependencies are done (up to `chunkConcurrency` unfinished at a time), and suspends; a
 * chunk that ends wakes it. It never waits out a chunk: the cluster runs a workflow's run
 * uninterruptibly, and a shard handed to a joining replica waits for the runs on it, so a run that
 * lasted a whole job held the handoff (and the job) still after a cold start of several replicas.
 */
const jobLayer = <R>(steps: JobSteps<R>, chunkConcurrency: number) =>
  JobWorkflow.toLayer(({ jobId }) => {
    const body = Effect.gen(function*() {
      const chunks = yield* Activity.make({
        name: "start",
        success: ChunkDependencies,
        error: Schema.String,
        execute: steps.start(jobId)
      })
      const instance = yield* WorkflowEngine.WorkflowInstance
      // Dependencies are earlier chunks, so one pass in order sees each chunk's dependencies first.
      const outcomes: Array<ChunkOutcome | undefined> = []
      let unfinished = 0
      for (const [chunk, dependencies] of chunks.entries()) {
        const before = dependencies.map((dependency) => outcomes[dependency])
        if (before.includes("cancelled")) outcomes[chunk] = "cancelled"
        if (before.includes("cancelled") || before.includes(undefined)) continue
        const result = yield* ChunkWorkflow.poll(yield* ChunkWorkflow.executionId({ jobId, chunk }))
        if (Option.isSome(result) && result.value._tag === "Complete") {
          outcomes[chunk] = yield* result.value.exit
        } else if (unfinished < chunkConcurrency) {
          // Started again on every run until it ends: the same execution, not a second one.
          unfinished += 1
          yield* ChunkWorkflow.execute({ jobId, chunk }, { discard: true })
        }
      }
      if (chunks.some((_, chunk) => outcomes[chunk] === undefined)) return yield* Workflow.suspend(instance)
      // A cancelled job is finished by its cancel (the results it still lacked are written there).
      if (outcomes.every((outcome) => outcome === "done")) {
        yield* Activity.make({ name: "complete", error: Schema.String, execute: steps.complete(jobId) })
      }
    })
    return body.pipe(
      Effect.catch((reason: string) => Activity.make({ name: "fail", execute: steps.fail(jobId, reason) }))
    )
  })

export const jobWorkflowLayer = <R>(steps: JobSteps<R>, chunkConcurrency: number) =>
  Layer.merge(chunkWorkflowLayer(steps), jobLayer(steps, chunkConcurrency))
