import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Logger } from "effect"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { type MonitoredCommand, monitorPrefix, redisClient, redisPrefix, sharedRedisUrl } from "../support/Redis.ts"
import { TestServer } from "../support/TestServer.ts"
import { cacheBehaviour, onServer } from "./behaviour.ts"

/** The shared Redis under a fresh key prefix, deleted after the test. */
const redisEnv = redisPrefix.pipe(Effect.map((prefix) => ({ REDIS_URL: sharedRedisUrl, CACHE_KEY_PREFIX: prefix })))

cacheBehaviour("redis", redisEnv)

const questions = (texts: ReadonlyArray<string>) => ({
  questions: texts.map((question, i) => ({ index: i + 1, question }))
})

/** Waits until MONITOR has relayed `count` commands named `name` (it trails the replies). */
const awaitCommands = (seen: ReadonlyArray<MonitoredCommand>, name: string, count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200 && seen.filter((c) => c.name === name).length < count; i++) yield* Effect.sleep(10)
    // Let any stray command arrive before the caller checks that there was none.
    yield* Effect.sleep(100)
  })

describe("Redis cache", () => {
  it.live("still answers from the cache after a restart of the service", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const env = yield* redisEnv
      const batch = questions(["remembered across restarts?", "and this one?"])
      const first = yield* askBatch(batch).pipe(Effect.provide(TestServer.layerOn(env)))
      const afterRestart = yield* askBatch(batch).pipe(Effect.provide(TestServer.layerOn(env)))
      expect(first.results.map((r) => r.cached)).toEqual([false, false])
      expect(afterRestart.results.map((r) => [r.cached, r.attempts])).toEqual([[true, 0], [true, 0]])
      expect(afterRestart.results.map((r) => r.result)).toEqual(first.results.map((r) => r.result))
      expect(upstream.requests).toHaveLength(2)
    }).pipe(Effect.provide(FakeUpstream.layer)))

  it.live("stores short hashed keys under the prefix, with the TTL, holding the normalized completion", () =>
    Effect.gen(function*() {
      const prefix = yield* redisPrefix
      const redis = yield* redisClient
      yield* onServer(
        Effect.succeed({ REDIS_URL: sharedRedisUrl, CACHE_KEY_PREFIX: prefix, CACHE_TTL_SECONDS: "600" }),
        askBatch(questions(["a question whose text must not appear in the key"]))
      )
      const keys = yield* Effect.promise(() => redis.keys(`${prefix}*`))
      expect(keys).toHaveLength(1)
      expect(keys[0]!.slice(prefix.length)).toMatch(/^v1:[0-9a-f]{64}$/)
      const ttl = yield* Effect.promise(() => redis.ttl(keys[0]!))
      expect(ttl).toBeGreaterThan(590)
      expect(ttl).toBeLessThanOrEqual(600)
      const stored = JSON.parse((yield* Effect.promise(() => redis.get(keys[0]!)))!)
      expect(stored).toEqual({
        text: "answer to: a question whose text must not appear in the key",
        usage: { prompt_tokens: 10, completion_tokens: 5 },
        finishReason: "stop",
        confidence: null
      })
    }))

  it.live("reads a batch's independent items with one MGET, not one round trip per item", () =>
    Effect.gen(function*() {
      const prefix = yield* redisPrefix
      const seen = yield* monitorPrefix(prefix)
      const batch = questions(Array.from({ length: 25 }, (_, i) => `independent question ${i}`))
      yield* onServer(
        Effect.succeed({ REDIS_URL: sharedRedisUrl, CACHE_KEY_PREFIX: prefix }),
        Effect.gen(function*() {
          const miss = yield* askBatch(batch)
          expect(miss.results.every((r) => !r.cached)).toBe(true)
          yield* awaitCommands(seen, "SET", 25)
          const reads = seen.filter((c) => c.name === "MGET" || c.name === "GET")
          expect(reads.map((c) => [c.name, c.args.length])).toEqual([["MGET", 25]])

          seen.length = 0
          const hit = yield* askBatch(batch)
          expect(hit.results.every((r) => r.cached)).toBe(true)
          yield* awaitCommands(seen, "MGET", 1)
          expect(seen.map((c) => [c.name, c.args.length])).toEqual([["MGET", 25]])
        })
      )
    }))

  it.live("refuses a malformed REDIS_URL at startup, without echoing it", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.provide(Effect.void, TestServer.layer({ REDIS_URL: "http://admin:hunter2@cache.internal:6379" }))
      )
      expect(exit._tag).toBe("Failure")
      const message = Cause.pretty(exit._tag === "Failure" ? exit.cause : Cause.empty)
      expect(message).toContain("REDIS_URL must look like redis://")
      expect(message).not.toContain("hunter2")
    }))

  it.live("says at startup and in /health that Redis is the active cache, and that it is reachable", () => {
    const logs: Array<string> = []
    const capture = Logger.make((options) => logs.push(`${options.logLevel} ${String(options.message)}`))
    return Effect.gen(function*() {
      expect(logs.filter((line) => line.includes("cache:"))).toEqual([
        "Info cache: Redis at redis://127.0.0.1:6379/0 (entries live 172800 s)"
      ])
      const health = yield* (yield* TestServer).get("/health")
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({
        status: "ok",
        cache: { kind: "redis", target: "redis://127.0.0.1:6379/0", reachable: true, ttl_seconds: 172_800 }
      })
      expect(health.text).not.toContain("warning")
    }).pipe(
      Effect.provide(TestServer.layer({ REDIS_URL: sharedRedisUrl, LOG_LEVEL: "Info" })),
      Effect.provide(Logger.layer([capture]))
    )
  })
})
