/**
 * The Redis-backed cache. Redis is an accelerator, never a dependency: every failure (down at
 * startup, gone mid-run, frozen) turns into a miss or a skipped write within a short timeout, is
 * logged once per outage and shown by `/health`, and the client reconnects on its own.
 */
import { Duration, Effect, Exit, FiberSet, Option, Redacted, Request, RequestResolver, Schema } from "effect"
import { Redis } from "ioredis"
import { connectTimeoutMs, describeRedisTarget, firstConnection, redisConnectionOptions } from "../config/redis.ts"
import type { Completion } from "../llm/types.ts"
import type { CacheHealth, CacheShape } from "./Cache.ts"
import { type CacheKey, decodeCompletion, encodeCompletion } from "./key.ts"

export interface RedisSettings {
  readonly url: Redacted.Redacted<string>
  /** Prepended to every key, so several deployments (or tests) can share one Redis. */
  readonly keyPrefix: string
  readonly ttlSeconds: number
  /** Longest wait for one Redis command before the cache is skipped. */
  readonly timeoutMs: number
}

/** A Redis command did not complete; the caller carries on without the cache. */
export class CacheUnavailable extends Schema.TaggedError<CacheUnavailable>()("CacheUnavailable", {
  operation: Schema.String,
  message: Schema.String
}) {}

const messageOf = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

/** One batched read: every lookup issued while a batch is being collected shares one MGET. */
class Lookup extends Request.Class<{ readonly key: CacheKey }, Option.Option<Completion>> {}

export const makeRedisCache = Effect.fnUntraced(function*(settings: RedisSettings) {
  const target = describeRedisTarget(Redacted.value(settings.url))
  const runFork = Effect.runForkWith(yield* Effect.context<never>())

  // Set on release: the connection closing then is a shutdown, not an outage.
  let closing = false
  const redis = yield* Effect.acquireRelease(
    Effect.sync(() =>
      new Redis(Redacted.value(settings.url), {
        ...redisConnectionOptions("llm-batch", settings.timeoutMs),
        // Writes finishing in the same tick share one round trip.
        enableAutoPipelining: true
      })
    ),
    (client) =>
      Effect.sync(() => {
        closing = true
      }).pipe(
        Effect.andThen(Effect.tryPromise(() => client.quit())),
        Effect.timeoutOption(Duration.millis(settings.timeoutMs)),
        Effect.ignore,
        Effect.ensuring(Effect.sync(() => client.disconnect()))
      )
  )

  // Last known state; a change is logged once, so an outage does not flood the log.
  let up: boolean | undefined = undefined
  let lastProblem = "not connected yet"
  const markUp = () => {
    if (up === false) runFork(Effect.logInfo(`cache: Redis at ${target} is back; using it again`))
    up = true
  }
  const markDown = (problem: string) => {
    if (closing) return
    lastProblem = problem
    if (up === true) {
      runFork(Effect.logWarning(`cache: Redis at ${target} is unavailable (${problem}); answering uncached until it is back`))
    }
    up = false
  }
  redis.on("ready", markUp)
  redis.on("error", (error: Error) => markDown(error.message))
  redis.on("close", () => markDown("connection closed"))

  // Wait briefly for the first connection so a healthy Redis serves the very first batch.
  const startupProblem = yield* firstConnection(redis, connectTimeoutMs(settings.timeoutMs))
  if (startupProblem === undefined) {
    up = true
    yield* Effect.logInfo(`cache: Redis at ${target} (entries live ${settings.ttlSeconds} s)`)
  } else {
    up = false
    lastProblem = startupProblem
    yield* Effect.logWarning(
      `cache: Redis at ${target} is unavailable (${startupProblem}); answering uncached until it is back`
    )
  }

  /** Runs one command; a guard timeout covers any client state ioredis's own timeout misses. */
  const command = <A>(operation: string, run: () => Promise<A>) =>
    Effect.tryPromise({
      try: run,
      catch: (cause) => new CacheUnavailable({ operation, message: messageOf(cause) })
    }).pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(settings.timeoutMs + 250),
        orElse: () => Effect.fail(new CacheUnavailable({ operation, message: `no answer within ${settings.timeoutMs} ms` }))
      }),
      Effect.tap(() => Effect.sync(markUp)),
      // While disconnected the connection events already tell the story (and tell it better).
      Effect.tapError((error) =>
        Effect.sync(() => {
          if (redis.status === "ready") markDown(`${operation}: ${error.message}`)
        })
      )
    )

  const redisKey = (key: CacheKey) => `${settings.keyPrefix}${key}`

  const resolver = RequestResolver.make<Lookup>((entries) =>
    command("MGET", () => redis.mget(entries.map((entry) => redisKey(entry.request.key)))).pipe(
      Effect.map((values) => values.map(decodeCompletion)),
      Effect.catchTag("CacheUnavailable", () => Effect.succeed(entries.map(() => Option.none<Completion>()))),
      Effect.map((found) => entries.forEach((entry, i) => entry.completeUnsafe(Exit.succeed(found[i] ?? Option.none()))))
    )
  )

  const get = Effect.fnUntraced(function*(key: CacheKey) {
    return yield* Effect.request(new Lookup({ key }), resolver)
  })

  // The answer does not wait for its write: a slow Redis must not slow answers down. On shutdown
  // pending writes get a moment to land before the client closes (this finalizer runs first).
  const writes = yield* FiberSet.make<void>()
  yield* Effect.addFinalizer(() =>
    FiberSet.awaitEmpty(writes).pipe(Effect.timeoutOption(Duration.seconds(2)), Effect.asVoid)
  )
  const set = (key: CacheKey, value: Completion) =>
    FiberSet.run(
      writes,
      command("SET", () => redis.set(redisKey(key), encodeCompletion(value), "EX", settings.ttlSeconds)).pipe(
        Effect.catchTag("CacheUnavailable", () => Effect.void)
      )
    ).pipe(Effect.asVoid)

  const health = command("PING", () => redis.ping()).pipe(
    Effect.as(true),
    Effect.catchTag("CacheUnavailable", () => Effect.succeed(false)),
    Effect.map((reachable): CacheHealth => ({
      kind: "redis",
      target,
      reachable,
      ttl_seconds: settings.ttlSeconds,
      ...(reachable
        ? {}
        : { warning: `Redis at ${target} is unavailable (${lastProblem}); questions are answered without the cache` })
    }))
  )

  const shape: CacheShape = { kind: "redis", get, set, health }
  return shape
})
