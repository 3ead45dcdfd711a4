/**
 * Reads that the surfaces make of the job store (a job, a page of its results or questions) take
 * turns: one at a time, each after a turn of Node's event loop. A reader's stream resumes inside
 * the socket's write callbacks, so without this a hundred readers of a big job ran page after page
 * without the event loop ever reaching another request (`/health` waited 8.7 s). Now each turn of
 * the loop runs at most one page, whatever the number of readers, and they are served in order.
 */
import { Effect, Semaphore } from "effect"

/** Node's `setImmediate`, not the fiber scheduler's: its batch can hold every waiting reader. */
const nextTurn = Effect.callback<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

export type ReadTurns = <A, E, R>(read: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

export const makeReadTurns = Effect.map(
  Semaphore.make(1),
  (semaphore): ReadTurns => (read) => semaphore.withPermit(Effect.andThen(nextTurn, read))
)
