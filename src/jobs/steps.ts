/**
 * The steps of a job's workflow, over the job store and the same engine as `/ask` (`runPlan`): a
 * chunk's questions are planned from what was stored at submit (their dependencies included, so a
 * reference to another chunk needs no re-planning), the results already recorded are settled, the
 * rest run, and each result is written as soon as it is known.
 */
import { Cause, Duration, Effect, Schedule } from "effect"
import { WorkflowEngine } from "effect/workflow"
import { runPlan } from "../batch/engine.ts"
import { errorResult } from "../batch/question.ts"
import { cancelledMessage } from "../batch/notSent.ts"
import type { PlannedItem } from "../batch/plan.ts"
import { ShutdownSignal } from "../batch/shutdown.ts"
import { AppConfig } from "../config/AppConfig.ts"
import type { ResultItem } from "../domain/Batch.ts"
import type { SlotClaim } from "../llm/slots.ts"
import { prepareAnswerChecks } from "../validation/strategies.ts"
import { RunningJobs } from "./running.ts"
import { JobStore } from "./store.ts"
import { type ChunkOutcome, type JobSteps, JobWorkflow } from "./workflow.ts"

/** A store call that may meet a busy database: tried again a few times before the step gives up. */
const persist = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.retry(effect, { times: 4, schedule: Schedule.exponential("100 millis") })

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

  /** The chunk's questions that have no result yet, each recorded as soon as it is known. */
  const runQuestions = (jobId: string, chunk: number, claim: SlotClaim) =>
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
      const record = (result: ResultItem) => persist(store.record(jobId, result)).pipe(Effect.orDie)
      // The job's budget counts what its recorded results cost (earlier chunks, work before a restart).
      const budget = yield* persist(store.budget(jobId))
      yield* runPlan(plan, { claim, settled, deadline: false, onResult: record, ...budget }).pipe(
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

  const runChunk = (jobId: string, chunk: number) =>
    Effect.gen(function*() {
      const state = yield* persist(store.state(jobId))
      if (state === undefined || state.status !== "running") return "cancelled" satisfies ChunkOutcome
      const ended = yield* running.runChunk(jobId, state.owner, (claim) =>
        Effect.raceFirst(runQuestions(jobId, chunk, claim), jobStopped(jobId)))
      // `stopped`: by cancel (or by the job's failure) on this replica.
      return ended === "stopped" ? "cancelled" : ended
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
      const cancelled = yield* persist(
        store.recordRemaining(jobId, (item) => errorResult(item.index, item.model ?? config.defaultModel, cancelledMessage, 0, 0))
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
