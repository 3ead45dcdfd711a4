/**
 * The rate-limit service on effect's in-memory store, under `TestClock`: who waits, how long, and
 * what a settled call gives back or takes. The real store (Redis, two processes) is in
 * rateLimitsReplicas.test.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { RateLimiter } from "effect/persistence"
import type { RateLimitRule } from "../../src/config/rateLimits.ts"
import { type LimitedCall, RateLimits } from "../../src/gateway/rateLimits.ts"
import { finished, until } from "../support/engine.ts"

const limitsOf = (rules: ReadonlyArray<RateLimitRule>) =>
  Layer.effect(RateLimits, RateLimits.make(rules)).pipe(Layer.provide(RateLimiter.layerStoreMemory))

const call = (model: string, tokens: { readonly promptTokens?: number; readonly maxTokens?: number } = {}): LimitedCall => ({
  model,
  promptTokens: tokens.promptTokens ?? 10,
  maxTokens: tokens.maxTokens ?? 100
})

/** Every fiber is done now, with the clock where it is. */
const allDone = (fibers: ReadonlyArray<Fiber.Fiber<unknown>>) => until(() => fibers.every((f) => f.pollUnsafe() !== undefined))

/** Moves the clock a second at a time, so sleeps taken on the way are registered and run. */
const advance = (millis: number) =>
  Effect.gen(function*() {
    for (let left = millis; left > 0; left -= 1_000) {
      yield* TestClock.adjust(`${Math.min(1_000, left)} millis`)
      yield* Effect.yieldNow
    }
  })

describe("rate limits (in memory)", () => {
  it.effect("rpm 30: thirty calls go at once, the 31st waits 2 s for the bucket to refill", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      const first = yield* Effect.forEach(Array.from({ length: 30 }), () => Effect.forkChild(limits.acquire(call("openai/gpt-4o"))))
      yield* allDone(first)
      const thirtyFirst = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o")))
      yield* advance(1_999)
      expect(thirtyFirst.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      yield* finished(thirtyFirst)
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", rpm: 30 }]))))

  it.effect("every matching rule applies, and a model no rule matches never waits", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      yield* limits.acquire(call("openai/gpt-4o"))
      const second = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o")))
      // `openai/*` has room, `openai/gpt-4o` (rpm 1) does not; gpt-4o-mini only answers to the first.
      yield* allDone(yield* Effect.forEach(Array.from({ length: 5 }), () =>
        Effect.forkChild(limits.acquire(call("openai/gpt-4o-mini")))))
      yield* allDone(yield* Effect.forEach(Array.from({ length: 50 }), () =>
        Effect.forkChild(limits.acquire(call("mistral/mistral-large")))))
      expect(second.pollUnsafe()).toBeUndefined()
      yield* advance(60_000)
      yield* finished(second)
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", rpm: 100 }, { model: "openai/gpt-4o", rpm: 1 }]))))

  it.effect("globs match provider/model ids: `*` within the name, `**` across slashes", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      yield* limits.acquire(call("anthropic/claude-3-5-sonnet"))
      const sameFamily = yield* Effect.forkChild(limits.acquire(call("anthropic/claude-3-haiku")))
      yield* limits.acquire(call("openrouter/meta-llama/llama-3-70b"))
      const nested = yield* Effect.forkChild(limits.acquire(call("openrouter/mistralai/mixtral")))
      const unmatched = yield* Effect.forkChild(limits.acquire(call("anthropic/other-model")))
      yield* allDone([unmatched])
      expect([sameFamily.pollUnsafe(), nested.pollUnsafe()]).toEqual([undefined, undefined])
    }).pipe(Effect.provide(limitsOf([{ model: "anthropic/claude-*", rpm: 1 }, { model: "openrouter/**", rpm: 1 }]))))

  it.effect("a call reserves prompt estimate + max_tokens, and its real usage gives the rest back at once", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      const first = yield* limits.acquire(call("openai/gpt-4o", { promptTokens: 100, maxTokens: 500 }))
      // 400 of 1000 left: the next 600 do not fit until the first call reports its usage.
      const second = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o", { promptTokens: 100, maxTokens: 500 })))
      yield* TestClock.adjust("100 millis")
      expect(second.pollUnsafe()).toBeUndefined()
      yield* first.settle({ _tag: "Answered", usedTokens: 150 })
      yield* allDone([second])
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", tpm: 1000 }]))))

  it.effect("usage above the reservation is charged: the next call waits for those tokens to refill", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      const first = yield* limits.acquire(call("openai/gpt-4o", { promptTokens: 100, maxTokens: 500 }))
      yield* first.settle({ _tag: "Answered", usedTokens: 1000 })
      // The bucket is empty; tpm 1000 refills a token every 60 ms, so 100 tokens take 6 s.
      const next = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o", { promptTokens: 0, maxTokens: 100 })))
      yield* advance(5_999)
      expect(next.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      yield* finished(next)
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", tpm: 1000 }]))))

  it.effect("a failed call gives back its max_tokens and keeps its prompt estimate", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      const first = yield* limits.acquire(call("openai/gpt-4o", { promptTokens: 100, maxTokens: 500 }))
      yield* first.settle({ _tag: "Failed", reason: "server_error", retryAfterMs: undefined })
      // 900 left: exactly room for 900, not 901.
      yield* limits.acquire(call("openai/gpt-4o", { promptTokens: 400, maxTokens: 500 }))
      const over = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o", { promptTokens: 0, maxTokens: 1 })))
      yield* TestClock.adjust("59 millis")
      expect(over.pollUnsafe()).toBeUndefined()
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", tpm: 1000 }]))))

  it.effect("a call larger than the whole tpm budget takes the whole bucket instead of waiting forever", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      yield* allDone([yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o", { promptTokens: 50, maxTokens: 4_096 })))])
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", tpm: 1000 }]))))

  it.effect("a waiting call that is interrupted (the batch deadline) gives its turn back", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      yield* limits.acquire(call("openai/gpt-4o"))
      yield* limits.acquire(call("openai/gpt-4o"))
      const abandoned = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o")))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(abandoned)
      // rpm 2 refills one request every 30 s: the next call waits one refill, not two.
      const next = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o")))
      yield* advance(28_999)
      expect(next.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      yield* finished(next)
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", rpm: 2 }]))))

  it.effect("a 429 with Retry-After pauses that model for every caller; the rule's other models go on", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      const refused = yield* limits.acquire(call("openai/gpt-4o"))
      yield* refused.settle({ _tag: "Failed", reason: "rate_limited", retryAfterMs: 5_000 })
      const paused = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o")))
      const other = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o-mini")))
      yield* allDone([other])
      yield* advance(4_999)
      expect(paused.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      yield* finished(paused)
    }).pipe(Effect.provide(limitsOf([{ model: "openai/*", rpm: 1000 }]))))

  it.effect("without rules nothing is limited, and a 429 pauses nothing", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      const refused = yield* limits.acquire(call("openai/gpt-4o"))
      yield* refused.settle({ _tag: "Failed", reason: "rate_limited", retryAfterMs: 5_000 })
      yield* allDone(yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.forkChild(limits.acquire(call("openai/gpt-4o")))))
    }).pipe(Effect.provide(limitsOf([]))))
})
