/**
 * The steps of a job's workflow, over the job store and the same engine as `/ask` (`runPlan`): a
 * chunk's questions are planned from what was stored at submit (their dependencies included, so a
 * reference to another chunk needs no re-planning), the results already recorded are settled, the
 * rest run, and each result is written as soon as it is known.
 */
import { Cause, Deferred, Duration, Effect, Exit, Schedule } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { WorkflowEngine } from "effect/workflow"
import { runPlan } from "../batch/engine.ts"
import { errorResult, withMeta } from "../batch/question.ts"
import { cancelledMessage } from "../batch/notSent.ts"
import type { PlannedItem } from "../batch/plan.ts"
import { ShutdownSignal } from "../batch/shutdown.ts"
import { AppConfig } from "../config/AppConfig.ts"
import type { ResultItem } from "../domain/Batch.ts"
import type { SlotClaim } from "../llm/slots.ts"
import { prepareAnswerChecks } from "../validation/strategies.ts"
import type { Lane } from "../domain/Lane.ts"
import { LaneRoute } from "../llm/laneRoute.ts"
import { BatchLane } from "./lane/BatchLane.ts"
import { RunningJobs } from "./running.ts"
import { JobStore } from "./store.ts"
import { type ChunkOutcome, type JobSteps, JobWorkflow } from "./workflow.ts"

/** A store call that may meet a busy database: tried again a few times before the step gives up. */
const persist = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.retry(effect, { times: 4, schedule: Schedule.exponential("100 millis") })

/**
 * What a chunk's run could not store (a full disk): the store refused `failure`, `stop` ends the
 * run at once so that no other question is sent, and the answers that came meanwhile are kept in
 * `results` (in memory) until the store takes them: only the calls in flight are asked again.
 */
interface Unstored {
  readonly results: Array<ResultItem>
  failure: SqlError | undefined
  readonly stop: Deferred.Deferred<void>
}

/** How often a chunk whose results the store refused tries to write them again. */
const unstoredRetryInterval = Duration.seconds(1)

/** The database's own words (`database or disk is full`), not effect/sql's generic message. */
const describeFailure = (failure: SqlError | undefined) => {
  const cause = failure?.reason.cause
  return cause instanceof Error ? cause.message : failure?.message ?? "unknown failure"
}

/** How often a running chunk reads its job's status: another replica may have cancelled it. */
const statusPollInterval = Duration.seconds(1)

/** Why a step could not run, for the job's `error`. */
const reasonOf = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0] ?? "unknown failure"

/** Step failures other than interruption become the job's failure reason. */
const orReason = <A, E, R>(step: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, string, R> =>
  effect.pipe(
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause) ? Effect.interrupt : Effect.fail(`${step}: ${reasonOf(cause)}`)
    )
  )

export const makeJobSteps = Effect.gen(function*() {
  const store = yield* JobStore
  const running = yield* RunningJobs
  const config = yield* AppConfig
  const engine = yield* WorkflowEngine.WorkflowEngine
  const batchLane = yield* BatchLane

  /** The chunk's questions that have no result yet, each recorded as soon as it is known. */
  const runQuestions = (jobId: string, lane: Lane, chunk: number, claim: SlotClaim, unstored: Unstored) =>
    Effect.gen(function*() {
      const questions = yield* persist(store.chunkQuestions(jobId, chunk))
      const own = new Set(questions.map(({ item }) => item.index))
      const needed = new Set(own)
      for (const { dependsOn } of questions) for (const index of dependsOn) needed.add(index)
      const known = yield* persist(store.resultsOf(jobId, [...needed]))
      const settled = new Map(known.map((result) => [result.index, result]))
      for (const index of needed) {
        if (!own.has(index) && !settled.has(index)) {
          return yield* Effect.die(`question ${index}, which chunk ${chunk} depends on, has no result`)
        }
      }
      const pending = questions.filter(({ item }) => !settled.has(item.index))
      if (pending.length === 0) return
      const checks = yield* prepareAnswerChecks(pending.map(({ item }) => item))
      const plan = pending.map(({ dependsOn, item }, position): PlannedItem => ({
        item,
        dependsOn,
        check: checks[position]!
      }))
      // A result the store refuses is kept, and the chunk stops asking (runChunk): see `Unstored`.
      const record = (result: ResultItem) =>
        unstored.failure !== undefined
          ? Effect.sync(() => unstored.results.push(result))
          : store.record(jobId, result).pipe(Effect.catch((failure) =>
            Effect.sync(() => {
              unstored.results.push(result)
              unstored.failure ??= failure
              Deferred.doneUnsafe(unstored.stop, Exit.void)
            })
          ))
      // The job's budget counts what its recorded results cost (earlier chunks, work before a restart).
      const budget = yield* persist(store.budget(jobId))
      const run = runPlan(plan, {
        claim,
        settled,
        deadline: false,
        onResult: record,
        ...budget,
        ...(lane === "sync" ? {} : { providerBatches: { gate: batchLane.waiting } })
      })
      yield* (lane === "sync"
        ? run
        : Effect.scoped(Effect.flatMap(batchLane.route(jobId, lane), (route) => Effect.provideService(run, LaneRoute, route))))
        .pipe(
          // A shutdown interrupts the chunk instead of ending its questions as errors: it resumes on the next start.
          Effect.provideService(ShutdownSignal, undefined)
        )
    }).pipe(Effect.as("done" as const))

  /**
   * Ends once the job is no longer running: cancelled or failed on any replica (`RunningJobs.stop`
   * reaches only that replica's chunks). A failed read is tried again at the next look.
   */
  const jobStopped = (jobId: string) =>
    Effect.gen(function*() {
      while (true) {
        yield* Effect.sleep(statusPollInterval)
        const state = yield* store.state(jobId).pipe(
          Effect.catch((error) => Effect.as(Effect.logWarning(`batch job ${jobId}: reading its status failed`, error), "unknown" as const))
        )
        if (state !== "unknown" && (state === undefined || state.status !== "running")) {
          // Its other chunks here too, at once: one waiting for slots would otherwise take them first.
          yield* Effect.forkDetach(running.stop(jobId))
          return "cancelled" as const
        }
      }
    })

  /**
   * Writes the results the store refused, trying again every `unstoredRetryInterval`, with the
   * reason on the job (`status_detail`, and an ERROR log) meanwhile. False when the job stopped
   * running meanwhile (cancel writes what it still lacks).
   */
  const storeRefused = (jobId: string, unstored: Unstored) =>
    Effect.gen(function*() {
      const reason = `its results cannot be stored (${describeFailure(unstored.failure)}): no question is sent ` +
        "until they can; free space for the job store (DATA_DIR or the database) and the job resumes by itself"
      running.details.set(jobId, reason)
      yield* Effect.logError(`batch job ${jobId}: ${reason}`)
      yield* Effect.ignore(store.noteDetail(jobId, reason))
      while (unstored.results.length > 0) {
        const written = yield* Effect.result(store.record(jobId, unstored.results[0]!))
        if (written._tag === "Success") {
          unstored.results.shift()
          continue
        }
        yield* Effect.sleep(unstoredRetryInterval)
        const state = yield* Effect.option(store.state(jobId))
        if (state._tag === "Some" && state.value?.status !== "running") return false
      }
      running.details.delete(jobId)
      yield* Effect.ignore(store.noteDetail(jobId, null))
      yield* Effect.logInfo(`batch job ${jobId}: its results are stored again; it resumes`)
      return true
    })

  const runChunk = (jobId: string, chunk: number) =>
    Effect.gen(function*() {
      const state = yield* persist(store.state(jobId))
      if (state === undefined || state.status !== "running") return "cancelled" satisfies ChunkOutcome
      // A stall noted before a restart is over once a chunk runs again (unless one here still is).
      if (!running.details.has(jobId)) yield* Effect.ignore(store.noteDetail(jobId, null))
      while (true) {
        const unstored: Unstored = { results: [], failure: undefined, stop: Deferred.makeUnsafe() }
        const ended = yield* running.runChunk(jobId, state.owner, (claim) =>
          Effect.raceFirst(
            runQuestions(jobId, state.lane, chunk, claim, unstored),
            Effect.raceFirst(jobStopped(jobId), Effect.as(Deferred.await(unstored.stop), "unstored" as const))
          ))
        // `stopped`: by cancel (or by the job's failure) on this replica.
        if (ended === "stopped") return "cancelled"
        // The calls in flight were interrupted; the answers that came are kept until the store takes them.
        if (unstored.failure === undefined && ended !== "unstored") return ended
        if (!(yield* storeRefused(jobId, unstored))) return "cancelled"
      }
    }).pipe((effect) => orReason(`chunk ${chunk}`, effect))

  /**
   * Cancel's second half (also at startup for a job cancelled before a crash). The workflow's
   * interrupt keeps it from starting another chunk but does not reach the chunks running (the
   * cluster runs activities uninterruptibly): those are stopped here.
   */
  const finishCancel = (jobId: string) =>
    Effect.gen(function*() {
      yield* JobWorkflow.interrupt(yield* JobWorkflow.executionId({ jobId })).pipe(
        Effect.provideService(WorkflowEngine.WorkflowEngine, engine)
      )
      yield* running.stop(jobId)
      yield* batchLane.cancel(jobId)
      const cancelled = yield* persist(
        store.recordRemaining(jobId, (item) =>
          withMeta(errorResult(item.index, item.model ?? config.defaultModel, cancelledMessage, 0, 0), item)
        )
      )
      // Every question had its result already (the cancel came as the job finished): it completed.
      // (A crash after the last cancelled result but before this line also ends it completed.)
      const status = cancelled === 0 ? "completed" : "cancelled"
      yield* persist(store.transition(jobId, ["cancelling"], status, { finishedAt: Date.now() }))
    })

  const steps: JobSteps<Effect.Services<ReturnType<typeof runChunk>>> = {
    start: (jobId) => orReason("start", persist(store.start(jobId, Date.now()))),
    runChunk,
    complete: (jobId) =>
      orReason("complete", persist(store.transition(jobId, ["running"], "completed", { finishedAt: Date.now() }))),
    fail: (jobId, reason) =>
      Effect.gen(function*() {
        yield* Effect.logError(`batch job ${jobId} failed: ${reason}`)
        yield* persist(store.transition(jobId, ["queued", "running"], "failed", { finishedAt: Date.now(), error: reason }))
        yield* running.stop(jobId)
      }).pipe(Effect.orDie)
  }
  return { steps, finishCancel }
})
