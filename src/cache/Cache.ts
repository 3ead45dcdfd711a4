/**
 * The answer cache: an embedded bounded LRU by default, Redis when `REDIS_URL` is set. Neither can
 * fail a question: reads that go wrong are misses, writes that go wrong are skipped.
 */
import { Clock, Context, Effect, Layer, Option } from "effect"
import { AppConfig, type CacheSettings } from "../config/AppConfig.ts"
import type { CacheHealth } from "../domain/Http.ts"
import type { Completion } from "../llm/types.ts"
import { type CacheKey, encodeCompletion } from "./key.ts"
import { BoundedLru } from "./lru.ts"

/** What `GET /health` shows about the cache: the domain schema is its one definition. */
export type { CacheHealth } from "../domain/Http.ts"

export interface CacheShape {
  readonly kind: "memory" | "redis"
  /** Lookups issued together (e.g. a batch's independent items) share one round trip. */
  readonly get: (key: CacheKey) => Effect.Effect<Option.Option<Completion>>
  /** Never delays the caller: a remote store writes in the background (flushed briefly on shutdown). */
  readonly set: (key: CacheKey, value: Completion) => Effect.Effect<void>
  readonly health: Effect.Effect<CacheHealth>
}

const formatMiB = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`

const makeMemoryCache = Effect.fnUntraced(function*(settings: CacheSettings) {
  const lru = new BoundedLru<Completion>({ maxEntries: settings.maxEntries, maxBytes: settings.maxBytes })
  const ttlMs = settings.ttlSeconds * 1_000
  yield* Effect.logInfo(
    `cache: in-memory LRU (up to ${settings.maxEntries} entries / ${formatMiB(settings.maxBytes)}, ` +
      `entries live ${settings.ttlSeconds} s); set REDIS_URL to share it across processes and restarts`
  )

  const get = Effect.fnUntraced(function*(key: CacheKey) {
    const now = yield* Clock.currentTimeMillis
    return Option.fromUndefinedOr(lru.get(key, now))
  })

  const set = Effect.fnUntraced(function*(key: CacheKey, value: Completion) {
    const now = yield* Clock.currentTimeMillis
    // UTF-16 strings take about two bytes a character once in memory.
    lru.set(key, value, 2 * (key.length + encodeCompletion(value).length), now + ttlMs)
  })

  const health = Effect.sync((): CacheHealth => ({
    kind: "memory",
    entries: lru.size,
    bytes: lru.bytes,
    max_entries: settings.maxEntries,
    max_bytes: settings.maxBytes,
    ttl_seconds: settings.ttlSeconds
  }))

  const shape: CacheShape = { kind: "memory", get, set, health }
  return shape
})

export class Cache extends Context.Service<Cache, CacheShape>()("llm-batch/Cache") {
  static readonly layerMemory = Layer.effect(
    Cache,
    Effect.gen(function*() {
      const { cache } = yield* AppConfig
      return yield* makeMemoryCache(cache)
    })
  )

  /** The client is a resource of the layer: it is closed when the layer is released. */
  static readonly layerRedis = Layer.effect(
    Cache,
    Effect.gen(function*() {
      const { cache } = yield* AppConfig
      if (Option.isNone(cache.redisUrl)) {
        return yield* Effect.die(new Error("Cache.layerRedis needs REDIS_URL; use Cache.layer to choose"))
      }
      // Loaded only when configured: the Redis client costs startup time and memory.
      const { makeRedisCache } = yield* Effect.promise(() => import("./redis.ts"))
      return yield* makeRedisCache({
        url: cache.redisUrl.value,
        keyPrefix: cache.keyPrefix,
        ttlSeconds: cache.ttlSeconds,
        timeoutMs: cache.redisTimeoutMs
      })
    })
  )

  /** Redis when REDIS_URL is set, otherwise the embedded cache. */
  static readonly layer = Layer.unwrap(
    Effect.gen(function*() {
      const { cache } = yield* AppConfig
      return Option.isSome(cache.redisUrl) ? Cache.layerRedis : Cache.layerMemory
    })
  )
}
