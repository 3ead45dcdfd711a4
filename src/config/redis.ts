/** Reaching the configured Redis (cache and rate limits): its name in messages, its first connection. */
import { Duration, Effect } from "effect"
import type { Redis as IoRedis, RedisOptions } from "ioredis"

/** `redis://host:port/db` without credentials: safe to log and to show in `/health`. */
export const describeRedisTarget = (url: string): string => {
  if (!URL.canParse(url)) return "redis (unparseable REDIS_URL)"
  const parsed = new URL(url)
  const db = parsed.pathname.replace(/^\//, "") || "0"
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || "6379"}/${db}`
}

/** Resolves to the first connection problem, or `undefined` once connected (bounded by `timeoutMs`). */
export const firstConnection = (client: IoRedis, timeoutMs: number) =>
  Effect.callback<string | undefined>((resume) => {
    if (client.status === "ready") return resume(Effect.succeed(undefined))
    const onReady = () => settle(undefined)
    const onError = (error: Error) => settle(error.message)
    const settle = (problem: string | undefined) => {
      client.off("ready", onReady)
      client.off("error", onError)
      resume(Effect.succeed(problem))
    }
    client.once("ready", onReady)
    client.once("error", onError)
    return Effect.sync(() => {
      client.off("ready", onReady)
      client.off("error", onError)
    })
  }).pipe(Effect.timeoutOrElse({
    duration: Duration.millis(timeoutMs),
    orElse: () => Effect.succeed(`no answer within ${timeoutMs} ms`)
  }))

/**
 * How both of our Redis connections behave: a command fails at once while disconnected (the caller
 * goes on without Redis) instead of queueing until it is back, and reconnecting goes on for as long
 * as the process lives, at most a second apart. `connectTimeoutMs` is also the first connection's wait.
 */
export const redisConnectionOptions = (connectionName: string, timeoutMs: number) => ({
  connectionName,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: timeoutMs,
  connectTimeout: connectTimeoutMs(timeoutMs),
  retryStrategy: (times: number) => Math.min(times * 100, 1_000)
}) satisfies RedisOptions

/** How long a connection attempt (and the wait for the first one) may take. */
export const connectTimeoutMs = (timeoutMs: number): number => Math.max(1_000, timeoutMs * 2)
