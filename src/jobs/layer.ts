/**
 * The `Jobs` service: a job is checked like `/ask` checks a batch, cut into chunks, stored with
 * its questions in one transaction, then started as a workflow. At startup every job left queued
 * or running is started again (the cluster resumes the workflows it had; starting one twice is a
 * no-op), and a cancel cut short by a crash is finished. Reads come from the store, page by page.
 */
import { Cause, Duration, Effect, Exit, Layer, Option, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { checkBatch, type PlanLimits } from "../batch/plan.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { finishedStatuses, JobNotFoundError } from "../domain/Job.ts"
import { chunkPlan } from "./chunks.ts"
import { workflowEngineLayer } from "./cluster.ts"
import { databaseLayer, JobStoreUnavailableError } from "./database.ts"
import { Jobs, type JobsShape } from "./Jobs.ts"
import { migrate } from "./migrations.ts"
import { retentionLayer } from "./retention.ts"
import { RunningJobs } from "./running.ts"
import { makeJobSteps } from "./steps.ts"
import { JobStore } from "./store.ts"
import { JobWorkflow, jobWorkflowLayer } from "./workflow.ts"

/** Results read per query when streaming. */
const pageSize = 500
/** How often a follower looks for new results once it has read them all. */
const followInterval = Duration.millis(200)

/** A storage failure is the service's, not the caller's: it surfaces as a 500 and in the logs. */
const orStoreDefect = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, never, R> =>
  Effect.orDie(Effect.mapError(effect, (error) => new Error(`the batch job store failed: ${String(error)}`, { cause: error })))

const makeJobs = Effect.gen(function*() {
  const config = yield* AppConfig
  const store = yield* JobStore
  const { finishCancel } = yield* makeJobSteps
  const context = yield* Effect.context<JobWorkflowServices>()
  const executionId = (jobId: string) => JobWorkflow.executionId({ jobId })
  const startJob = (jobId: string) =>
    JobWorkflow.execute({ jobId }, { discard: true }).pipe(Effect.provide(context), Effect.asVoid)

  const limits: PlanLimits = { ...config, maxBatchSize: config.jobs.maxJobSize, maxBatchSizeSetting: "MAX_JOB_SIZE" }
  const find = (id: string, owner: string) =>
    orStoreDefect(store.find(id, owner)).pipe(
      Effect.flatMap((job) => job === undefined ? Effect.fail(new JobNotFoundError({ id })) : Effect.succeed(job))
    )

  const submit: JobsShape["submit"] = Effect.fnUntraced(function*(request, owner) {
    const plan = yield* checkBatch(request, limits)
    const { chunkDependencies, chunkOf } = chunkPlan(plan, config.jobs.chunkSize)
    const id = `batch_${randomUUID().replaceAll("-", "")}`
    yield* orStoreDefect(store.insert(
      {
        id,
        owner,
        createdAt: Date.now(),
        metadata: request.metadata ?? {},
        maxCostUsd: request.max_cost_usd,
        chunkDependencies
      },
      plan.map(({ dependsOn, item }, position) => ({ item, dependsOn, chunk: chunkOf[position]! }))
    ))
    // Stored first: if the process dies before this, the startup recovery starts the job.
    yield* startJob(id)
    return yield* Effect.orDie(find(id, owner))
  })

  const results: JobsShape["results"] = (id, owner, { follow }) =>
    Stream.unwrap(Effect.map(find(id, owner), () =>
      Stream.paginate(0, (seq: number) =>
        orStoreDefect(Effect.gen(function*() {
          // The status first: once it says the job has ended, every result is already stored.
          const ended = !follow || finishedStatuses.has((yield* store.state(id))?.status ?? "completed")
          const page = yield* store.resultsAfter(id, seq, pageSize)
          if (page.length > 0) {
            return [page.map((row) => row.result), Option.some(page[page.length - 1]!.seq)] as const
          }
          if (ended) return [[], Option.none()] as const
          yield* Effect.sleep(followInterval)
          return [[], Option.some(seq)] as const
        }))
      )
    ))

  // Keyset paging on the stored position: each page costs the same, however far into a 50,000-question job.
  const questions: JobsShape["questions"] = (id, owner) =>
    Stream.unwrap(Effect.map(find(id, owner), () =>
      Stream.paginate(-1, (after) =>
        orStoreDefect(store.questionsAfter(id, after, pageSize)).pipe(Effect.map((page) => {
          const last = page.at(-1)
          const next = page.length < pageSize || last === undefined ? Option.none() : Option.some(last.position)
          return [page.map((row) => row.item), next] as const
        })))
    ))

  const resultsPage: JobsShape["resultsPage"] = Effect.fnUntraced(function*(id, owner, page) {
    const job = yield* find(id, owner)
    const rows = yield* orStoreDefect(store.resultsAt(id, page.offset, page.limit))
    const next = page.offset + rows.length
    const done = finishedStatuses.has(job.status) && next >= job.counts.total - job.counts.pending
    return { results: rows, next_offset: done ? null : next }
  })

  const cancel: JobsShape["cancel"] = Effect.fnUntraced(function*(id, owner) {
    const job = yield* find(id, owner)
    if (finishedStatuses.has(job.status)) return job
    yield* orStoreDefect(store.transition(id, ["queued", "running"], "cancelling"))
    yield* orStoreDefect(finishCancel(id))
    return yield* find(id, owner)
  })

  /** A workflow that ended in a failure its steps did not record (a defect): the job failed. */
  const recordFailedWorkflow = Effect.fnUntraced(function*(jobId: string) {
    const result = yield* JobWorkflow.poll(yield* executionId(jobId)).pipe(Effect.provide(context))
    if (Option.isNone(result) || result.value._tag !== "Complete" || Exit.isSuccess(result.value.exit)) return false
    const reason = Cause.pretty(result.value.exit.cause).split("\n")[0] ?? "the job's workflow failed"
    yield* store.transition(jobId, ["queued", "running"], "failed", { finishedAt: Date.now(), error: reason })
    return true
  })

  // Startup: jobs the last process left unfinished.
  const recover = Effect.gen(function*() {
    for (const job of yield* store.unfinished) {
      if (job.status === "cancelling") yield* finishCancel(job.id)
      else if (!(yield* recordFailedWorkflow(job.id))) yield* startJob(job.id)
    }
  }).pipe(Effect.catchCause((cause) => Effect.logError("batch jobs: resuming unfinished jobs failed", cause)))
  yield* Effect.forkScoped(recover)

  // Before the cluster shuts down: the chunks running stop now instead of holding the exit.
  const running = yield* RunningJobs
  yield* Effect.addFinalizer(() => running.shutdown)

  return Jobs.of({
    submit,
    get: find,
    list: (owner, limit) => orStoreDefect(store.list(owner, limit)),
    results,
    questions,
    resultsPage,
    cancel
  })
})

type JobWorkflowServices = Effect.Services<ReturnType<typeof JobWorkflow.execute>>

const workflow = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  const { steps } = yield* makeJobSteps
  return jobWorkflowLayer(steps, config.jobs.chunkConcurrency)
}))

/** The tables are migrated before anything reads them, the cluster's included. */
const migrated = Layer.effectDiscard(migrate.pipe(
  Effect.mapError((error) =>
    new JobStoreUnavailableError({
      message: `cannot create or update the batch job store's tables (${error.message}): check the database's ` +
        "permissions, or set DATA_DIR or DATABASE_URL to another store"
    })
  )
))

/** The database with our tables, the store over it, and the workflow engine. */
const runtime = workflowEngineLayer.pipe(
  Layer.provideMerge(Layer.mergeAll(JobStore.layer, RunningJobs.layer)),
  Layer.provide(migrated),
  Layer.provideMerge(databaseLayer)
)

/**
 * `Jobs` with its store, runner and workflow engine; needs `AppConfig` and `LlmClient`. Fails to
 * build when the store cannot be opened (`JobStoreUnavailableError` says why).
 */
export const layer = Layer.effect(Jobs, makeJobs).pipe(
  Layer.provide(Layer.mergeAll(workflow, retentionLayer)),
  Layer.provide(runtime),
  Layer.tapError((error) => Effect.logError(`batch jobs: ${error.message}`))
)

/** `Jobs` when the store could not be opened: every call says why (the rest of the service works). */
export const unavailableJobs = (reason: unknown) => {
  const fail = Effect.die(new Error(`batch jobs are unavailable on this service: ${reason instanceof Error ? reason.message : String(reason)}`))
  return Jobs.of({
    submit: () => fail,
    get: () => fail,
    list: () => fail,
    results: () => Stream.fromEffect(fail),
    questions: () => Stream.fromEffect(fail),
    resultsPage: () => fail,
    cancel: () => fail
  })
}
