/**
 * Reads that the surfaces make of the job store (a job, a page of its results or questions) take
 * turns: one at a time, each after a pause of the event loop as long as the last one took (at
 * least 1 ms). A reader's stream resumes inside its socket's write callbacks, so without this a
 * hundred readers of a big job ran page after page without the event loop reaching another
 * request (`/health` waited 8.7 s, a one-question `/ask` 151 s). Now readers are served in order,
 * one page per turn, and however many there are they get at most about half of the process's time:
 * the rest is free for other requests even on a machine whose cores are all busy.
 */
import { Effect, Semaphore } from "effect"

/** A timer, not the fiber scheduler's `yieldNow`: its batch can hold every waiting reader. */
const pause = (ms: number) =>
  Effect.callback<void>((resume) => {
    const handle = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(handle))
  })

export type ReadTurns = <A, E, R>(read: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

export const makeReadTurns = Effect.map(Semaphore.make(1), (semaphore): ReadTurns => {
  let lastMs = 0
  return (read) =>
    semaphore.withPermit(Effect.suspend(() => {
      const wait = Math.max(1, Math.min(lastMs, 50))
      return Effect.andThen(pause(wait), Effect.suspend(() => {
        const started = performance.now()
        return Effect.ensuring(read, Effect.sync(() => (lastMs = performance.now() - started)))
      }))
    }))
})

/** No turns: each read runs at once (a test that reads the store alone). */
export const immediate: ReadTurns = (read) => read
