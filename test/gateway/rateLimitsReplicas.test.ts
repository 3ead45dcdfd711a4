/**
 * Shared rate limits across real processes: two services (`node src/main.ts`) on one Redis (a key
 * prefix of the test's own, deleted after it) and one fake upstream. `/ask` is stateless, so what
 * makes them replicas for rate limits is the Redis they share; each keeps its own job store.
 *
 * The rpm test runs the claim literally (rpm 30, 90 questions) and so takes about two
 * minutes: a token bucket of 30 that refills one request every 2 s lets 30 go at once and the other
 * 60 over the next 120 s. A higher scale does not shorten it (rpm 300 with 900 questions also needs
 * 120 s: the time is (questions - rpm) / rpm minutes), and fewer questions than 3 × rpm would stop
 * showing a limit held past the first burst; a test-only window would test another product. It is
 * the suite's one slow test; the tpm and 429 tests take a few seconds.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { FakeUpstream, type ReceivedRequest } from "../support/FakeUpstream.ts"
import { redisClient, redisPrefix, sharedRedisUrl } from "../support/Redis.ts"
import { type RunningService, startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

/** Two services sharing the test's Redis prefix; replica `a` and `b` reach the fake under `/a` and `/b`. */
const twoReplicas = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const upstream = yield* FakeUpstream
    const prefix = yield* redisPrefix
    const start = (name: string) =>
      startService({
        ...fakeEnvironment(`${upstream.url}/${name}`),
        REDIS_URL: sharedRedisUrl,
        CACHE_KEY_PREFIX: prefix,
        ...env
      })
    const [a, b] = yield* Effect.all([start("a"), start("b")], { concurrency: 2 })
    return { upstream, prefix, a: a!, b: b! }
  })

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
  it.live("rpm 30 on two replicas, 90 questions at once: at most 30 + 10 calls in the first 20 s, and all 90 answered", () =>
    Effect.gen(function*() {
      const { upstream, a, b } = yield* twoReplicas({ RATE_LIMITS: `[{"model":"openai/*","rpm":30}]` })
      const [fromA, fromB] = yield* Effect.all(
        [ask(a, questions("rpm from a", 45)), ask(b, questions("rpm from b", 45))],
        { concurrency: 2 }
      )
      expect([...statuses(fromA), ...statuses(fromB)]).toEqual(Array(90).fill("success"))
      expect(upstream.requests).toHaveLength(90)
      const first = Math.min(...upstream.requests.map((request) => request.receivedAt))
      const inFirst20s = upstream.requests.filter((request) => request.receivedAt - first <= 20_000)
      // The burst of 30, then one request every 2 s: 10 more by the 20th second. Each replica alone
      // would allow that much, so without sharing the two would send up to 80. (Turns are taken in
      // arrival order across both replicas, so the first 20 s may all be one replica's.)
      expect(inFirst20s.length).toBeLessThanOrEqual(40)
      expect(inFirst20s.length).toBeGreaterThanOrEqual(30)
    }).pipe(Effect.provide(FakeUpstream.layer)), 240_000)

  it.live("tpm on two replicas: the tokens reserved in flight never exceed the budget, and usage gives the rest back", () =>
    Effect.gen(function*() {
      const { upstream, a, b } = yield* twoReplicas({ RATE_LIMITS: `[{"model":"openai/*","tpm":600}]` })
      upstream.always("tpm", { delayMs: 300 })
      const [fromA, fromB] = yield* Effect.all(
        [ask(a, questions("tpm from a", 15, { max_tokens: 100 })), ask(b, questions("tpm from b", 15, { max_tokens: 100 }))],
        { concurrency: 2 }
      )
      expect([...statuses(fromA), ...statuses(fromB)]).toEqual(Array(30).fill("success"))
      // A call reserves its prompt estimate (~4 characters a token) plus max_tokens.
      const reserved = Math.max(...upstream.requests.map((request) => {
        const messages = request.body.messages as ReadonlyArray<{ readonly content: string }>
        return Math.ceil(messages.reduce((chars, message) => chars + message.content.length, 0) / 4) + 100
      }))
      // 600 tokens hold floor(600 / reserved) calls at once, across both replicas (5 when one call
      // reserves ~105; each replica on its own would allow as many again). Each call uses 15 tokens
      // (the fake's usage), so without the give-back the sixth call would wait ~9 s for a refill.
      expect(upstream.peakInFlight).toBeLessThanOrEqual(Math.floor(600 / reserved))
      expect(upstream.peakInFlight).toBeGreaterThanOrEqual(2)
      expect(upstream.requests).toHaveLength(30)
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)

  it.live("a 429 with Retry-After on one replica pauses that model on the other", () =>
    Effect.gen(function*() {
      const { upstream, prefix, a, b } = yield* twoReplicas({ RATE_LIMITS: `[{"model":"openai/*","rpm":600}]` })
      const redis = yield* redisClient
      upstream.script("refused on a", { status: 429, headers: { "retry-after": "3" } })
      const fromA = ask(a, [{ index: 1, question: "refused on a" }])
      const fromB = Effect.gen(function*() {
        // Once replica a has recorded the pause (the model's adaptive state under the test's prefix).
        while ((yield* Effect.promise(() => redis.keys(`${prefix}ratelimit:model:*`))).length === 0) {
          yield* Effect.sleep("20 millis")
        }
        return yield* ask(b, [{ index: 1, question: "asked on b" }])
      })
      const [answerA, answerB] = yield* Effect.all([fromA, fromB], { concurrency: 2 })
      expect([statuses(answerA), statuses(answerB)]).toEqual([["success"], ["success"]])
      const refusedAt = upstream.callsFor("refused on a")[0]!.receivedAt
      const asked = upstream.callsFor("asked on b")
      expect(asked.map(replicaOf)).toEqual(["b"])
      // Retry-After: 3 s from a's 429; b would otherwise have called within milliseconds.
      expect(asked[0]!.receivedAt - refusedAt).toBeGreaterThanOrEqual(2_900)
      expect(upstream.callsFor("refused on a")).toHaveLength(2)
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)
})
