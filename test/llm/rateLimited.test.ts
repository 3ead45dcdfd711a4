/**
 * `LlmClient` over RATE_LIMITS (per-process store), against the fake upstream, with the limiter's
 * waits on `TestClock`: where the wait sits (outside the upstream slots), the real usage that
 * settles a reservation, and a 429's Retry-After reaching the model's other calls.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { RateLimits } from "../../src/gateway/rateLimits.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import type { CompletionRequest } from "../../src/llm/types.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const clientWith = (env: Record<string, string>) =>
  Layer.unwrap(Effect.gen(function*() {
    const upstream = yield* FakeUpstream
    return LlmClient.layer.pipe(
      Layer.provide(RateLimits.layerMemory),
      Layer.provide(AppConfig.layer),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { ...fakeEnvironment(upstream.url), ...env } })))
    )
  })).pipe(Layer.provideMerge(FakeUpstream.layer))

const ask = (model: string, prompt: string, maxTokens = 50): CompletionRequest => {
  const [provider, name] = model.split("/") as ["openai" | "anthropic", string]
  return { model: { provider, name }, messages: [{ role: "user", content: prompt }], temperature: 0, maxTokens }
}

/** The fiber's outcome once its HTTP call is done: real time passes (up to 5 s), the test clock does not. */
const finished = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500 && fiber.pollUnsafe() === undefined; i++) {
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
    expect(fiber.pollUnsafe(), "the call is still waiting").toBeDefined()
    return yield* Fiber.join(fiber)
  })

describe("LlmClient under RATE_LIMITS", () => {
  it.effect("a call waiting for its rate limit holds no upstream slot", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const llm = yield* LlmClient
      yield* llm.complete(ask("openai/gpt-4o-mini", "first"))
      // rpm 1: the second OpenAI call waits a minute, while the only slot (LLM_CONCURRENCY=1) stays free.
      const waiting = yield* Effect.forkChild(llm.complete(ask("openai/gpt-4o-mini", "second")))
      yield* llm.complete(ask("anthropic/claude-haiku-4-5", "meanwhile"))
      expect(upstream.requests.map((request) => request.prompt)).toEqual(["first", "meanwhile"])
      expect(waiting.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("60 seconds")
      yield* finished(waiting)
      expect(upstream.requests.map((request) => request.prompt)).toEqual(["first", "meanwhile", "second"])
    }).pipe(Effect.provide(clientWith({ LLM_CONCURRENCY: "1", RATE_LIMITS: `[{"model":"openai/*","rpm":1}]` }))))

  it.effect("the provider's reported usage settles a reservation: the max_tokens left unused go back", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const llm = yield* LlmClient
      // Each call reserves 2 + 900 of 1,000 tokens and uses 15 (the fake's usage): without the
      // give-back the second would wait for a refill.
      yield* llm.complete(ask("openai/gpt-4o-mini", "one", 900))
      const second = yield* Effect.forkChild(llm.complete(ask("openai/gpt-4o-mini", "two", 900)))
      yield* finished(second)
      expect(upstream.requests).toHaveLength(2)
    }).pipe(Effect.provide(clientWith({ RATE_LIMITS: `[{"model":"openai/*","tpm":1000}]` }))))

  it.effect("a 429's Retry-After pauses the model's next calls until it has passed", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("refused", { status: 429, headers: { "retry-after": "5" } })
      const llm = yield* LlmClient
      const refused = yield* Effect.flip(llm.complete(ask("openai/gpt-4o-mini", "refused")))
      expect(refused).toMatchObject({ _tag: "UpstreamError", status: 429, retryAfterMs: 5_000 })
      const paused = yield* Effect.forkChild(llm.complete(ask("openai/gpt-4o-mini", "after the pause")))
      yield* TestClock.adjust("4999 millis")
      expect(paused.pollUnsafe()).toBeUndefined()
      expect(upstream.requests).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      yield* finished(paused)
      expect(upstream.requests).toHaveLength(2)
    }).pipe(Effect.provide(clientWith({ LLM_MAX_RETRIES: "0", RATE_LIMITS: `[{"model":"openai/*","rpm":600}]` }))))
})
