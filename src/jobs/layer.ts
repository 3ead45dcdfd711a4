/**
 * The `Jobs` service: a job is checked like `/ask` checks a batch, cut into chunks, stored with
 * its questions in one transaction, then started as a workflow. At startup every job left queued
 * or running is started again (the cluster resumes the workflows it had; starting one twice is a
 * no-op), and a cancel cut short by a crash is finished. Reads come from the store, page by page.
 */
import { Cause, Effect, Exit, Layer, Option, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"
import { ServiceFault } from "../domain/Errors.ts"
import { finishedStatuses, type Job, JobNotFoundError } from "../domain/Job.ts"
import { chunkPlan } from "./chunks.ts"
import { budgetRefusal, checkJob, estimateJob, estimatePlan } from "./estimate.ts"
import { workflowEngineLayer } from "./cluster.ts"
import { corruptStore, databaseLayer, describeCause, isCorrupt, JobStoreUnavailableError } from "./database.ts"
import { Jobs, type JobsShape } from "./Jobs.ts"
import { migrate } from "./migrations.ts"
import { makeReadTurns } from "./readTurns.ts"
import { pageSize, readResults, readResultsPage } from "./reading.ts"
import { retentionLayer } from "./retention.ts"
import { BatchLane } from "./lane/BatchLane.ts"
import { RunningJobs } from "./running.ts"
import { makeJobSteps } from "./steps.ts"
import { JobStore } from "./store.ts"
import { JobWorkflow, jobWorkflowLayer } from "./workflow.ts"

/** A storage failure is the service's, not the caller's: it surfaces as a 500 and in the logs. */
const storeFailure = (error: unknown): Error =>
  isCorrupt(error)
    // What the caller is told too (a 500 naming it, or a stream's last line): only the operator can mend it.
    ? new ServiceFault({ message: corruptStore("(DATA_DIR's llm-batch.sqlite)", describeCause(error)), cause: error })
    : new Error(`the batch job store failed: ${String(error)}`, { cause: error })
const orStoreDefect = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, never, R> =>
  Effect.orDie(Effect.mapError(effect, storeFailure))

/** At most this many ids per list in the startup line; the rest are counted. */
const idsShown = 20

const idList = (ids: ReadonlyArray<string>): string =>
  ids.length <= idsShown ? ids.join(", ") : `${ids.slice(0, idsShown).join(", ")} and ${ids.length - idsShown} more`

const jobCount = (n: number): string => `${n} job${n === 1 ? "" : "s"}`

/** `batch jobs: resumed 2 unfinished jobs after a restart: batch_a, batch_b; …`, or nothing when none was left. */
export const recoveryMessage = (outcome: {
  readonly resumed: ReadonlyArray<string>
  readonly cancelled: ReadonlyArray<string>
  readonly failed: ReadonlyArray<string>
}): string | undefined => {
  const parts = [
    outcome.resumed.length > 0 ? `resumed ${jobCount(outcome.resumed.length)}: ${idList(outcome.resumed)}` : "",
    outcome.cancelled.length > 0 ? `finished cancelling ${jobCount(outcome.cancelled.length)}: ${idList(outcome.cancelled)}` : "",
    outcome.failed.length > 0 ? `marked failed ${jobCount(outcome.failed.length)} whose workflow had failed: ${idList(outcome.failed)}` : ""
  ].filter((part) => part !== "")
  return parts.length === 0 ? undefined : `batch jobs left unfinished before this start: ${parts.join("; ")}`
}

const makeJobs = Effect.gen(function*() {
  const config = yield* AppConfig
  const store = yield* JobStore
  const { finishCancel } = yield* makeJobSteps
  const context = yield* Effect.context<JobWorkflowServices>()
  const executionId = (jobId: string) => JobWorkflow.executionId({ jobId })
  const startJob = (jobId: string) =>
    JobWorkflow.execute({ jobId }, { discard: true }).pipe(Effect.provide(context), Effect.asVoid)

  const readTurn = yield* makeReadTurns
  const running = yield* RunningJobs
  // A stalled job's reason is also kept in memory: the store that refused its results may refuse that too.
  const found = (id: string) => (job: Job | undefined) => {
    if (job === undefined) return Effect.fail(new JobNotFoundError({ id }))
    const detail = running.details.get(id)
    return Effect.succeed(detail === undefined || finishedStatuses.has(job.status) ? job : { ...job, status_detail: detail })
  }
  const find = (id: string, owner: string) => orStoreDefect(readTurn(store.find(id, owner))).pipe(Effect.flatMap(found(id)))

  const submit: JobsShape["submit"] = Effect.fnUntraced(function*(request, owner) {
    const plan = yield* checkJob(request, config)
    // A budget the prompts alone exceed is refused before anything is stored or sent (counting
    // costs ~45 µs a question, and loading an OpenAI tokenizer ~2 s once per process).
    if (request.max_cost_usd !== undefined) {
      const refusal = budgetRefusal(yield* estimatePlan(request, plan, config))
      if (refusal !== undefined) return yield* refusal
    }
    // On the batch lane a chunk's waves go to the provider together; its chunks are sized from the heap.
    const chunkSize = request.lane === "sync" ? config.jobs.chunkSize : config.jobs.batchLane.chunkSize
    const { chunkDependencies, chunkOf } = chunkPlan(plan, chunkSize)
    const id = `batch_${randomUUID().replaceAll("-", "")}`
    yield* orStoreDefect(store.insert(
      {
        id,
        owner,
        createdAt: Date.now(),
        metadata: request.metadata ?? {},
        maxCostUsd: request.max_cost_usd,
        lane: request.lane,
        chunkDependencies
      },
      plan.map(({ dependsOn, item }, position) => ({ item, dependsOn, chunk: chunkOf[position]! }))
    ))
    // Stored first: if the process dies before this, the startup recovery starts the job.
    yield* startJob(id)
    // At once, not in the readers' turn: the job as stored (queued), before its workflow starts it.
    return yield* Effect.orDie(orStoreDefect(store.find(id, owner)).pipe(Effect.flatMap(found(id))))
  })

  const results: JobsShape["results"] = (id, owner, options) =>
    Stream.unwrap(Effect.map(find(id, owner), () =>
      readResults(store, id, options, readTurn).pipe(Stream.mapError(storeFailure), Stream.orDie)
    ))

  // Keyset paging on the stored position: each page costs the same, however far into a 50,000-question job.
  const questions: JobsShape["questions"] = (id, owner) =>
    Stream.unwrap(Effect.map(find(id, owner), () =>
      Stream.paginate(-1, (after) =>
        orStoreDefect(readTurn(store.questionsAfter(id, after, pageSize))).pipe(Effect.map((page) => {
          const last = page.at(-1)
          const next = page.length < pageSize || last === undefined ? Option.none() : Option.some(last.position)
          return [page.map((row) => row.item), next] as const
        })))
    ))

  const resultsPage: JobsShape["resultsPage"] = Effect.fnUntraced(function*(id, owner, page) {
    return yield* orStoreDefect(readResultsPage(store, yield* find(id, owner), page, readTurn))
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

  // Startup: jobs the last process left unfinished, said in the log (an operator's first question).
  const recover = Effect.gen(function*() {
    const outcome = { resumed: new Array<string>(), cancelled: new Array<string>(), failed: new Array<string>() }
    for (const job of yield* store.unfinished) {
      if (job.status === "cancelling") {
        yield* finishCancel(job.id)
        outcome.cancelled.push(job.id)
      } else if (yield* recordFailedWorkflow(job.id)) outcome.failed.push(job.id)
      else {
        yield* startJob(job.id)
        outcome.resumed.push(job.id)
      }
    }
    const message = recoveryMessage(outcome)
    if (message !== undefined) yield* Effect.logInfo(message)
  }).pipe(Effect.catchCause((cause) => Effect.logError("batch jobs: resuming unfinished jobs failed", cause)))
  yield* Effect.forkScoped(recover)

  // Before the cluster shuts down: the chunks running stop now instead of holding the exit.
  yield* Effect.addFinalizer(() => running.shutdown)

  return Jobs.of({
    submit,
    estimate: (request) => estimateJob(request, config),
    get: find,
    list: (owner, limit) => orStoreDefect(readTurn(store.list(owner, limit))),
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
  Layer.provideMerge(Layer.mergeAll(BatchLane.layer.pipe(Layer.provideMerge(JobStore.layer)), RunningJobs.layer)),
  Layer.provide(migrated),
  Layer.provideMerge(databaseLayer)
)

/**
 * `Jobs` with its store, runner and workflow engine; needs `AppConfig` and `LlmClient`. Fails to
 * build when the store cannot be opened (`JobStoreUnavailableError` says why).
 */
const jobs = Layer.effect(Jobs, makeJobs).pipe(Layer.provide(Layer.mergeAll(workflow, retentionLayer)))

export const layer = jobs.pipe(
  Layer.provide(runtime),
  Layer.tapError((error) => Effect.logError(`batch jobs: ${error.message}`))
)

/** `layer` that also gives the database under the store: tests reach it (a full disk, a corrupt file). */
export const layerWithDatabase = jobs.pipe(Layer.provideMerge(runtime))

/**
 * `Jobs` when the store could not be opened: every call says why (the rest of the service works),
 * but an estimate, which needs no store, still answers.
 */
export const unavailableJobs = (reason: unknown, config: AppConfigShape) => {
  const fail = Effect.die(new Error(`batch jobs are unavailable on this service: ${reason instanceof Error ? reason.message : String(reason)}`))
  return Jobs.of({
    submit: () => fail,
    estimate: (request) => estimateJob(request, config),
    get: () => fail,
    list: () => fail,
    results: () => Stream.fromEffect(fail),
    questions: () => Stream.fromEffect(fail),
    resultsPage: () => fail,
    cancel: () => fail
  })
}
