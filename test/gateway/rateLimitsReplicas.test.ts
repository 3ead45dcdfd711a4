/**
 * Shared rate limits across replicas through one Redis (a key prefix of the test's own, deleted
 * after it). The tpm and 429 tests share two real services (`node src/main.ts`, started once for
 * the file) on one fake upstream: `/ask` is stateless, so what makes them replicas for rate limits
 * is the Redis they share; each keeps its own job store.
 *
 * The rpm test runs the claim (rpm 30, 90 calls at once from two replicas) on two limiters
 * in this process, each with its own Redis connection as two processes would have, over a window of
 * 3 s instead of a minute: a token bucket of 30 that refills one request every 100 ms lets 30 go at
 * once and the other 60 over the next 6 s (at a minute's window that is two minutes of waiting; the
 * arithmetic is the same, scaled). Fewer calls than 3 × rpm would stop showing a limit held past
 * the first burst.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Logger, Redacted } from "effect"
import { RateLimiter } from "effect/persistence"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { RateLimits } from "../../src/gateway/rateLimits.ts"
import { makeSharedStore } from "../../src/gateway/redisStore.ts"
import { FakeUpstream, type ReceivedRequest } from "../support/FakeUpstream.ts"
import { redisClient, redisPrefix, sharedRedisUrl } from "../support/Redis.ts"
import { type RunningService, startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

/**
 * Two services sharing the file's Redis prefix; replica `a` and `b` reach the fake under `/a` and
 * `/b`. One rule for both process tests: rpm 600 never binds them, tpm 600 is the tpm test's budget.
 */
class Replicas extends Context.Service<Replicas, {
  readonly prefix: string
  readonly a: RunningService
  readonly b: RunningService
}>()("test/Replicas") {
  static readonly layer = Layer.effect(
    Replicas,
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const prefix = yield* redisPrefix
      const start = (name: string) =>
        startService({
          ...fakeEnvironment(`${upstream.url}/${name}`),
          REDIS_URL: sharedRedisUrl,
          CACHE_KEY_PREFIX: prefix,
          RATE_LIMITS: `[{"model":"openai/*","rpm":600,"tpm":600}]`
        })
      const [a, b] = yield* Effect.all([start("a"), start("b")], { concurrency: 2 })
      return { prefix, a: a!, b: b! }
    })
  ).pipe(Layer.provideMerge(FakeUpstream.layer))
}

const replicaOf = (request: ReceivedRequest) => /^\/([ab])\//.exec(request.path)?.[1]

const ask = (service: RunningService, questions: ReadonlyArray<Record<string, unknown>>) =>
  Effect.promise(async () => {
    const response = await fetch(`${service.url}/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ questions })
    })
    const text = await response.text()
    expect(response.status, text).toBe(200)
    return JSON.parse(text) as BatchResponse
  })

const questions = (label: string, count: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: count }, (_, i) => ({ index: i + 1, question: `${label} question ${i + 1}`, ...extra }))

const statuses = (response: BatchResponse) => response.results.map((result) => result.status)

describe("rate limits shared by replicas through Redis", () => {
  it.live("rpm 30 on two replicas, 90 calls at once: at most 30 + 10 in the first third of the window, and all 90 go", () =>
    Effect.gen(function*() {
      const prefix = yield* redisPrefix
      const window = Duration.seconds(3)
      // What a replica builds from REDIS_URL and CACHE_KEY_PREFIX (RateLimits.layerRedis), its own connection each.
      const replica = Effect.gen(function*() {
        const store = yield* makeSharedStore({
          url: Redacted.make(sharedRedisUrl),
          keyPrefix: `${prefix}ratelimit:`,
          timeoutMs: 5_000
        })
        return yield* RateLimits.make([{ model: "openai/*", rpm: 30 }], window).pipe(
          Effect.provideService(RateLimiter.RateLimiterStore, store)
        )
      })
      const [a, b] = yield* Effect.all([replica, replica])
      const grantedAt: Array<number> = []
      yield* Effect.forEach(
        Array.from({ length: 90 }, (_, i) => i % 2 === 0 ? a : b),
        (limits) =>
          limits.acquire({ model: "openai/gpt-4o", promptTokens: 5, maxTokens: 10 }).pipe(
            Effect.tap(() => Effect.sync(() => grantedAt.push(performance.now())))
          ),
        { concurrency: "unbounded" }
      )
      expect(grantedAt).toHaveLength(90)
      const first = Math.min(...grantedAt)
      const inFirstThird = grantedAt.filter((at) => at - first <= Duration.toMillis(window) / 3)
      // The burst of 30, then one request every 100 ms: 10 more by a third of the window. Each
      // replica alone would allow that much, so without sharing the two would let up to 80 go.
      expect(inFirstThird.length).toBeLessThanOrEqual(40)
      expect(inFirstThird.length).toBeGreaterThanOrEqual(30)
      // And the limit holds past the burst: the last of the other 60 goes about 6 s later.
      expect(Math.max(...grantedAt) - first).toBeGreaterThanOrEqual(5_500)
    }).pipe(Effect.provide(Logger.layer([]))), 60_000)

})

layer(Replicas.layer, { excludeTestServices: true, timeout: "60 seconds" })("rate limits shared by two real services", (it) => {
  it.effect("tpm on two replicas: the tokens reserved in flight never exceed the budget, and usage gives the rest back", () =>
    Effect.gen(function*() {
      const { a, b } = yield* Replicas
      const upstream = yield* FakeUpstream
      upstream.always("tpm", { delayMs: 300 })
      const [fromA, fromB] = yield* Effect.all(
        [ask(a, questions("tpm from a", 15, { max_tokens: 100 })), ask(b, questions("tpm from b", 15, { max_tokens: 100 }))],
        { concurrency: 2 }
      )
      expect([...statuses(fromA), ...statuses(fromB)]).toEqual(Array(30).fill("success"))
      const calls = upstream.callsFor("tpm from")
      // A call reserves its prompt estimate (~4 characters a token) plus max_tokens.
      const reserved = Math.max(...calls.map((request) => {
        const messages = request.body.messages as ReadonlyArray<{ readonly content: string }>
        return Math.ceil(messages.reduce((chars, message) => chars + message.content.length, 0) / 4) + 100
      }))
      // 600 tokens hold floor(600 / reserved) calls at once, across both replicas (5 when one call
      // reserves ~105; each replica on its own would allow as many again). Each call uses 15 tokens
      // (the fake's usage), so without the give-back the sixth call would wait ~9 s for a refill.
      // (This test runs first on the shared fake, so its peak is this test's.)
      expect(upstream.peakInFlight).toBeLessThanOrEqual(Math.floor(600 / reserved))
      expect(upstream.peakInFlight).toBeGreaterThanOrEqual(2)
      expect(calls).toHaveLength(30)
    }))

  it.effect("a 429 with Retry-After on one replica pauses that model on the other", () =>
    Effect.gen(function*() {
      const { prefix, a, b } = yield* Replicas
      const upstream = yield* FakeUpstream
      const redis = yield* redisClient
      // A model of its own, so the pause is this test's; max_tokens small beside the tpm budget.
      const model = "openai/paused-by-429"
      upstream.script("refused on a", { status: 429, headers: { "retry-after": "3" } })
      const fromA = ask(a, [{ index: 1, question: "refused on a", model, max_tokens: 10 }])
      const fromB = Effect.gen(function*() {
        // Once replica a has recorded the pause (the model's adaptive state under the test's prefix).
        while ((yield* Effect.promise(() => redis.keys(`${prefix}ratelimit:model:${model}*`))).length === 0) {
          yield* Effect.sleep("20 millis")
        }
        return yield* ask(b, [{ index: 1, question: "asked on b", model, max_tokens: 10 }])
      })
      const [answerA, answerB] = yield* Effect.all([fromA, fromB], { concurrency: 2 })
      expect([statuses(answerA), statuses(answerB)]).toEqual([["success"], ["success"]])
      const refusedAt = upstream.callsFor("refused on a")[0]!.receivedAt
      const asked = upstream.callsFor("asked on b")
      expect(asked.map(replicaOf)).toEqual(["b"])
      // Retry-After: 3 s from a's 429; b would otherwise have called within milliseconds.
      expect(asked[0]!.receivedAt - refusedAt).toBeGreaterThanOrEqual(2_900)
      expect(upstream.callsFor("refused on a")).toHaveLength(2)
    }))
})
