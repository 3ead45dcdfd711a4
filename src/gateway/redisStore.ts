/**
 * The rate-limit store shared by replicas: effect's Redis `RateLimiterStore` (its Lua scripts do the
 * token buckets and the 429 feedback atomically) over a thin `ioredis` adapter. Redis is never a
 * reason to fail or stall a question: while it is unreachable every process limits on its own, in
 * memory, and says so once; when it is back the shared state is used again.
 */
import { Context, Duration, Effect, Layer, Predicate, Redacted } from "effect"
import { RateLimiter, Redis } from "effect/persistence"
import { Redis as IoRedis } from "ioredis"
import { connectTimeoutMs, describeRedisTarget, firstConnection, redisConnectionOptions } from "../config/redis.ts"

export interface SharedStoreSettings {
  readonly url: Redacted.Redacted<string>
  /** Prepended to every key (CACHE_KEY_PREFIX + `ratelimit:`), so deployments and tests can share a Redis. */
  readonly keyPrefix: string
  /** Longest wait for one Redis command before this process limits on its own. */
  readonly timeoutMs: number
}

type Store = RateLimiter.RateLimiterStore["Service"]

/** The innermost cause's message (the store wraps Redis's error, which wraps ioredis's). */
const rootMessage = (error: unknown): string => {
  let current = error
  while (Predicate.hasProperty(current, "cause") && current.cause !== undefined) current = current.cause
  return current instanceof Error ? current.message : String(current)
}

/**
 * The `Redis` service effect's store needs, over one ioredis connection. The rate limiter only
 * sends commands and scripts; pub/sub and reserved connections are refused, not faked.
 */
const redisService = (client: IoRedis) => {
  const unsupported = (what: string) =>
    new Redis.RedisError({ cause: new Error(`the rate-limit Redis adapter does not provide ${what}`) })
  return Redis.make({
    send: <A>(command: string, ...args: ReadonlyArray<string>) =>
      Effect.tryPromise({
        // The reply's shape is the command's (the store's scripts declare theirs).
        try: () => client.call(command, ...args) as Promise<A>,
        catch: (cause) => new Redis.RedisError({ cause })
      }),
    subscribe: () => Effect.fail(unsupported("subscriptions")),
    connect: Effect.fail(unsupported("reserved connections"))
  })
}

export const makeSharedStore = Effect.fnUntraced(function*(settings: SharedStoreSettings) {
  const target = describeRedisTarget(Redacted.value(settings.url))
  const client = yield* Effect.acquireRelease(
    Effect.sync(() =>
      new IoRedis(Redacted.value(settings.url), redisConnectionOptions("llm-batch-ratelimits", settings.timeoutMs))
    ),
    (redis) => Effect.sync(() => redis.disconnect())
  )
  // ioredis reports connection errors as events; the commands' outcomes below tell the story.
  client.on("error", () => undefined)

  const memory = Context.get(yield* Layer.build(RateLimiter.layerStoreMemory), RateLimiter.RateLimiterStore)
  const shared = yield* RateLimiter.makeStoreRedis({ prefix: settings.keyPrefix }).pipe(
    Effect.provideServiceEffect(Redis.Redis, redisService(client))
  )

  // Last known state; a change is logged once, so an outage does not flood the log.
  let up = (yield* firstConnection(client, connectTimeoutMs(settings.timeoutMs))) === undefined
  if (up) yield* Effect.logInfo(`rate limits: shared through Redis at ${target}`)
  else {
    yield* Effect.logWarning(
      `rate limits: Redis at ${target} is unavailable; each process limits on its own in memory until it is back`
    )
  }
  const markUp = Effect.suspend(() => {
    if (up) return Effect.void
    up = true
    return Effect.logInfo(`rate limits: Redis at ${target} is back; limits are shared again`)
  })
  const markDown = (problem: string) =>
    Effect.suspend(() => {
      if (!up) return Effect.void
      up = false
      return Effect.logWarning(
        `rate limits: Redis at ${target} is unavailable (${problem}); each process limits on its own in memory until it is back`
      )
    })

  /** Redis when it answers in time, else this process's memory. */
  const either = <A>(viaRedis: Effect.Effect<A, RateLimiter.RateLimiterError>, inMemory: typeof viaRedis) =>
    viaRedis.pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(settings.timeoutMs + 250),
        orElse: () => Effect.fail(new Error(`no answer within ${settings.timeoutMs} ms`))
      }),
      Effect.tap(() => markUp),
      Effect.catch((error) => markDown(rootMessage(error)).pipe(Effect.andThen(inMemory)))
    )

  return RateLimiter.RateLimiterStore.of({
    fixedWindow: (options) => either(shared.fixedWindow(options), memory.fixedWindow(options)),
    tokenBucket: (options) => either(shared.tokenBucket(options), memory.tokenBucket(options)),
    adaptiveConsume: (options) => either(shared.adaptiveConsume(options), memory.adaptiveConsume(options)),
    adaptiveFeedback: (options) => either(shared.adaptiveFeedback(options), memory.adaptiveFeedback(options))
  }) satisfies Store
})
