/**
 * The transport retry policy: exponential backoff with jitter for transient failures only,
 * honouring the provider's Retry-After. It is the only retry loop (the SDKs' own are off).
 */
import { Duration, Effect, Schedule } from "effect"
import type { FailureReason, LlmError } from "../domain/Errors.ts"

/** Failures worth another attempt (repo_docs/contract.md, *Retries*): the same call may well succeed soon. */
const transientReasons: ReadonlySet<FailureReason> = new Set([
  "rate_limited",
  "overloaded",
  "server_error",
  "timeout",
  "connection"
])

export const isTransient = (error: LlmError): boolean =>
  error._tag === "UpstreamError" && transientReasons.has(error.reason)

/** Longest wait we accept from a Retry-After header; a provider asking for more gets this. */
export const retryAfterCapMs = 30_000

/** Reads `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date), in ms. */
export const retryAfterMs = (headers: Headers | undefined, now = Date.now()): number | undefined => {
  if (headers === undefined) return undefined
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "")
  if (Number.isFinite(ms) && ms >= 0) return ms
  const value = headers.get("retry-after")
  if (value === null) return undefined
  const seconds = Number.parseFloat(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}

/**
 * `attempt`, retried by `schedule` only once it has failed: a call that succeeds at once (most do)
 * never builds the schedule's state (2.9 → 0.9 µs per call in process, docs/performance.md).
 * The schedule is handed the first failure as `Effect.retry(attempt, schedule)` would be: the same
 * delays, the same number of attempts.
 */
export const retryAfterFailure = <A, E extends LlmError, R>(
  attempt: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<unknown, LlmError>
): Effect.Effect<A, E, R> =>
  Effect.catch(attempt, (first) => {
    let replay: E | undefined = first
    const again = Effect.suspend(() => {
      if (replay === undefined) return attempt
      const error = replay
      replay = undefined
      return Effect.fail(error)
    })
    return Effect.retry(again, schedule)
  })

export const transportSchedule = (options: { readonly maxRetries: number; readonly baseDelayMs: number }) =>
  Schedule.exponential(Duration.millis(options.baseDelayMs)).pipe(
    Schedule.jittered,
    Schedule.setInputType<LlmError>(),
    Schedule.while(({ input, attempt }) => isTransient(input) && attempt <= options.maxRetries),
    Schedule.modifyDelay(({ input, duration }) => {
      const asked = input._tag === "UpstreamError" ? input.retryAfterMs : undefined
      const millis = asked === undefined ? Duration.toMillis(duration) : asked
      return Effect.succeed(Duration.millis(Math.min(millis, retryAfterCapMs)))
    })
  )
