/**
 * What every cache backend must do, through the HTTP API and the fake upstream. Run by
 * memory.test.ts and redis.test.ts with their own environment (Redis: a per-test key prefix).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import type { ResultItem } from "../../src/domain/Batch.ts"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

export type BackendEnv = Effect.Effect<Record<string, string>, never, Scope.Scope>

/** Runs `body` against a fresh server (and fake upstream) configured for the backend. */
export const onServer = <A, E>(
  backendEnv: BackendEnv,
  body: Effect.Effect<A, E, TestServer | FakeUpstream>,
  extra: Record<string, string> = {}
) =>
  Effect.gen(function*() {
    const env = yield* backendEnv
    return yield* body.pipe(Effect.provide(TestServer.layer({ ...env, ...extra })))
  })

const questions = (items: ReadonlyArray<Record<string, unknown>>) => ({
  questions: items.map((item, i) => ({ index: i + 1, ...item }))
})

/** What a client sees of an answer, minus what legitimately differs between a miss and a hit. */
const answerOf = (r: ResultItem) => ({ status: r.status, result: r.result, confidence: r.confidence, usage: r.usage })

export const cacheBehaviour = (backend: string, backendEnv: BackendEnv) =>
  describe(`cache (${backend})`, () => {
    it.live("answers the same batch twice with one upstream call each and marks the repeat cached", () =>
      onServer(
        backendEnv,
        Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          upstream.always("capital", { text: "Paris", logprobs: [Math.log(0.8)] })
          const batch = questions([
            { question: "capital of France?", method: "sequential" },
            { question: "population of {Q1_result}?", method: "sequential" },
            { question: "what is 2 + 2?", system: "answer with a number" }
          ])
          const first = yield* askBatch(batch)
          expect(first.results.map((r) => [r.cached, r.attempts])).toEqual([[false, 1], [false, 1], [false, 1]])
          expect(upstream.requests).toHaveLength(3)

          const second = yield* askBatch(batch)
          expect(upstream.requests).toHaveLength(3)
          expect(second.results.map((r) => [r.status, r.cached, r.attempts])).toEqual([
            ["success", true, 0],
            ["success", true, 0],
            ["success", true, 0]
          ])
          expect(second.results.map(answerOf)).toEqual(first.results.map(answerOf))
          expect(second.results[0]!.confidence).toBeCloseTo(0.8, 6)
        })
      ))

    it.live("misses when any ingredient of the key changes", () =>
      onServer(
        backendEnv,
        Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          // Valid under every schema below, so no variant needs a repair call.
          upstream.always("ingredient probe", { text: "{\"a\": \"x\"}" })
          const schemaA = { type: "object", properties: { a: { type: "string" } }, required: ["a"] }
          const schemaB = { type: "object", properties: { a: { type: "string" }, b: { type: "number" } } }
          const base = { question: "ingredient probe", model: "openai/gpt-4o-mini" }
          const variants: ReadonlyArray<Record<string, unknown>> = [
            { ...base, model: "openai/gpt-4o" },
            { ...base, model: "groq/gpt-4o-mini" },
            { ...base, temperature: 0.9 },
            { ...base, system: "be terse" },
            { ...base, max_tokens: 77 },
            { ...base, top_p: 0.5 },
            { ...base, stop: "END" },
            { ...base, seed: 42 },
            { ...base, api_base: `${upstream.url}/elsewhere/v1` },
            { ...base, response_schema: schemaA },
            { ...base, response_schema: schemaB },
            { ...base, validation_strategy: "json" },
            { ...base, question: "ingredient probe, reworded" }
          ]
          yield* askBatch(questions([base]))
          expect(upstream.requests).toHaveLength(1)

          const mixed = yield* askBatch(questions([base, ...variants]))
          expect(mixed.results.map((r) => [r.status, r.cached])).toEqual([
            ["success", true],
            ...variants.map(() => ["success", false])
          ])
          expect(upstream.requests).toHaveLength(1 + variants.length)

          // Each variant has a key of its own, and that key is stable.
          const again = yield* askBatch(questions([base, ...variants]))
          expect(again.results.every((r) => r.cached)).toBe(true)
          expect(upstream.requests).toHaveLength(1 + variants.length)
        }),
        // The api_base variant points at the loopback fake.
        { API_BASE_OVERRIDE: "any" }
      ))

    it.live("calls upstream every time for cache: false, and does not store that answer", () =>
      onServer(
        backendEnv,
        Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          const uncached = questions([{ question: "fresh every time", cache: false }])
          const cached = questions([{ question: "fresh every time" }])

          expect((yield* askBatch(uncached)).results[0]!.cached).toBe(false)
          // Not written by the cache: false call, so this is a miss too; now it is stored.
          expect((yield* askBatch(cached)).results[0]!.cached).toBe(false)
          expect((yield* askBatch(cached)).results[0]!.cached).toBe(true)
          expect(upstream.requests).toHaveLength(2)
          // Stored or not, cache: false reads nothing, and identical such items are not merged.
          const repeated = yield* askBatch(
            questions([1, 2, 3].map(() => ({ question: "fresh every time", cache: false })))
          )
          expect(repeated.results.map((r) => [r.cached, r.attempts])).toEqual([[false, 1], [false, 1], [false, 1]])
          expect(upstream.requests).toHaveLength(5)
        })
      ))

    it.live("makes one upstream call for ten identical questions in one batch", () =>
      onServer(
        backendEnv,
        Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          upstream.always("same question", { delayMs: 200 })
          const response = yield* askBatch(questions(Array.from({ length: 10 }, () => ({ question: "same question" }))))
          expect(upstream.callsFor("same question")).toHaveLength(1)
          expect(response.results.every((r) => r.status === "success" && r.result === "answer to: same question"))
            .toBe(true)
          // The one that made the call says so; the nine that shared it made none.
          expect(response.results.filter((r) => !r.cached).map((r) => r.attempts)).toEqual([1])
          expect(response.results.filter((r) => r.cached).map((r) => r.attempts)).toEqual(Array(9).fill(0))
        })
      ))

    it.live("shares one upstream call between concurrent batches asking the same question", () =>
      onServer(
        backendEnv,
        Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          upstream.always("popular", { delayMs: 300 })
          const batch = questions([{ question: "popular question" }])
          const [a, b] = yield* Effect.all([askBatch(batch), askBatch(batch)], { concurrency: 2 })
          expect(upstream.callsFor("popular")).toHaveLength(1)
          expect([a.results[0]!.cached, b.results[0]!.cached].sort()).toEqual([false, true])
          expect(a.results[0]!.result).toBe(b.results[0]!.result)
        })
      ))

    it.live("caches repair calls like any other: a repaired question asked again makes no upstream call", () =>
      onServer(
        backendEnv,
        Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          upstream.always("Answer again with only the corrected JSON", { text: "{\"answer\": true}" })
          upstream.always("repair probe", { text: "I would say yes." })
          const batch = questions([{
            question: "repair probe",
            response_schema: { type: "object", properties: { answer: { type: "boolean" } }, required: ["answer"] }
          }])
          const first = (yield* askBatch(batch)).results[0]!
          expect(first).toMatchObject({ status: "success", result: { answer: true }, retry_count: 1, attempts: 2 })
          expect(first.cached).toBe(false)
          const again = (yield* askBatch(batch)).results[0]!
          expect(again).toMatchObject({ status: "success", result: { answer: true }, retry_count: 1, attempts: 0 })
          expect(again.cached).toBe(true)
          expect(upstream.requests).toHaveLength(2)
        })
      ))

    it.live("stores only successful answers", () =>
      onServer(
        backendEnv,
        Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          upstream.script("flaky", { status: 400 })
          const batch = questions([{ question: "flaky question" }])
          expect((yield* askBatch(batch)).results[0]!.status).toBe("error")
          const retried = (yield* askBatch(batch)).results[0]!
          expect([retried.status, retried.cached]).toEqual(["success", false])
          expect((yield* askBatch(batch)).results[0]!.cached).toBe(true)
          expect(upstream.callsFor("flaky")).toHaveLength(2)
        })
      ))
  })
