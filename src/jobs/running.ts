/**
 * The jobs this process is running chunks of: each job's one claim on upstream slots (its chunks
 * share it, so a job gets one fair share and at most BATCH_CONCURRENCY slots), and a way to stop
 * its chunks at once. A workflow interrupt does not reach a running activity (the cluster runs
 * activities uninterruptibly), so cancel and shutdown stop the chunk's engine run through here.
 */
import { Context, Deferred, Effect, Layer } from "effect"
import type { SlotClaim } from "../llm/slots.ts"

/** Why a chunk's run was cut short. */
type Signal = "stopped" | "shutdown"

interface RunningChunk {
  readonly signal: Deferred.Deferred<Signal>
  /** Completed once the run has ended. */
  readonly ended: Deferred.Deferred<void>
}

interface RunningJob {
  readonly claim: SlotClaim
  readonly chunks: Set<RunningChunk>
}

export class RunningJobs extends Context.Service<RunningJobs, {
  /**
   * Runs a chunk of `jobId` with the job's slot claim: what the run gave, or `stopped` when `stop`
   * cut it short. A shutdown cuts it short for good: the effect then never ends, so the activity
   * records no outcome and the cluster runs the chunk again on the next start.
   */
  readonly runChunk: <A, E, R>(
    jobId: string,
    owner: string,
    run: (claim: SlotClaim) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A | "stopped", E, R>
  /** Stops the job's chunks running here (not on other replicas) and waits until they have stopped. */
  readonly stop: (jobId: string) => Effect.Effect<void>
  /** Stops every chunk (the process is stopping) and waits until their runs have ended. */
  readonly shutdown: Effect.Effect<void>
  /**
   * Why a job running here is not progressing (its results cannot be stored), for its `status_detail`:
   * kept here too, since the store that cannot take results may not take this either.
   */
  readonly details: Map<string, string>
}>()("llm-batch/RunningJobs") {
  static readonly layer = Layer.sync(RunningJobs, () => {
    const jobs = new Map<string, RunningJob>()
    const details = new Map<string, string>()
    let closing = false
    const signalAll = (chunks: ReadonlyArray<RunningChunk>, signal: Signal) => {
      for (const chunk of chunks) Deferred.doneUnsafe(chunk.signal, Effect.succeed(signal))
      return Effect.forEach(chunks, (chunk) => Deferred.await(chunk.ended), { discard: true })
    }
    return RunningJobs.of({
      runChunk: (jobId, owner, run) =>
        Effect.suspend(() => {
          if (closing) return Effect.never
          let job = jobs.get(jobId)
          if (job === undefined) {
            job = { claim: { caller: owner }, chunks: new Set() }
            jobs.set(jobId, job)
          }
          const current = job
          const chunk: RunningChunk = { signal: Deferred.makeUnsafe(), ended: Deferred.makeUnsafe() }
          current.chunks.add(chunk)
          const outcome = Effect.raceFirst(run(current.claim), Deferred.await(chunk.signal))
          return outcome.pipe(
            Effect.ensuring(Effect.sync(() => {
              current.chunks.delete(chunk)
              // The last chunk leaves: the claim goes with it (a later chunk starts a new one).
              if (current.chunks.size === 0 && jobs.get(jobId) === current) jobs.delete(jobId)
              Deferred.doneUnsafe(chunk.ended, Effect.void)
            })),
            Effect.flatMap((ended) => ended === "shutdown" ? Effect.never : Effect.succeed(ended))
          )
        }),
      stop: (jobId) => Effect.suspend(() => signalAll([...jobs.get(jobId)?.chunks ?? []], "stopped")),
      shutdown: Effect.suspend(() => {
        closing = true
        return signalAll([...jobs.values()].flatMap((job) => [...job.chunks]), "shutdown")
      }),
      details
    })
  })
}
