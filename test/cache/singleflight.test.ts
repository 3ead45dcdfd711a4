/**
 * Single flight and cancellation: a shared upstream call lives as long as someone waits for it.
 * Driven through the decorated `LlmClient` directly, where interrupting a caller is explicit.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer } from "effect"
import { Cache } from "../../src/cache/Cache.ts"
import * as CachedLlmClient from "../../src/cache/CachedLlmClient.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { RateLimits } from "../../src/gateway/rateLimits.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import type { CompletionRequest } from "../../src/llm/types.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const clientLayer = Layer.unwrap(Effect.gen(function*() {
  const upstream = yield* FakeUpstream
  return CachedLlmClient.layer.pipe(
    Layer.provide(LlmClient.layer),
    Layer.provide(RateLimits.layer),
    Layer.provide(Cache.layerMemory),
    Layer.provide(AppConfig.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: fakeEnvironment(upstream.url) })))
  )
})).pipe(Layer.provideMerge(FakeUpstream.layer))

const request: CompletionRequest = {
  model: { provider: "openai", name: "gpt-4o-mini" },
  messages: [{ role: "user", content: "long task" }],
  temperature: 0,
  maxTokens: 10
}

const untilRequested = Effect.gen(function*() {
  const upstream = yield* FakeUpstream
  while (upstream.requests.length === 0) yield* Effect.sleep(5)
})

describe("single flight", () => {
  it.live("aborts the shared upstream call when its only caller is interrupted", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("long", { delayMs: 5_000 })
      const llm = yield* LlmClient
      const fiber = yield* Effect.forkChild(llm.complete(request))
      yield* untilRequested
      yield* Fiber.interrupt(fiber)
      while (upstream.aborted === 0) yield* Effect.sleep(5)
      expect(upstream.aborted).toBe(1)
    }).pipe(Effect.provide(clientLayer)))

  it.live("keeps the shared call going for the callers still waiting when one is interrupted", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("long", { delayMs: 300 })
      const llm = yield* LlmClient
      const leaver = yield* Effect.forkChild(llm.complete(request))
      const stayer = yield* Effect.forkChild(llm.complete(request))
      yield* untilRequested
      yield* Fiber.interrupt(leaver)
      const result = yield* Fiber.join(stayer)
      expect(result).toMatchObject({ completion: { text: "answer to: long task" }, attempts: 0, cached: true })
      expect([upstream.requests.length, upstream.aborted]).toEqual([1, 0])
      // The answer was stored although the caller that started the call had gone.
      expect(yield* llm.complete(request)).toMatchObject({ attempts: 0, cached: true })
      expect(upstream.requests).toHaveLength(1)
    }).pipe(Effect.provide(clientLayer)))

  it.live("gives every caller of a failed shared call the same error", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("long", { status: 400, delayMs: 100 })
      const llm = yield* LlmClient
      const errors = yield* Effect.all([Effect.flip(llm.complete(request)), Effect.flip(llm.complete(request))], {
        concurrency: 2
      })
      expect(errors.map((error) => [error._tag, error.message])).toEqual([
        ["UpstreamError", errors[0]!.message],
        ["UpstreamError", errors[0]!.message]
      ])
      expect(upstream.requests).toHaveLength(1)
      // Failures are not stored: the next call goes upstream again.
      yield* Effect.flip(llm.complete(request)).pipe(Effect.ignore)
      expect(upstream.requests).toHaveLength(2)
    }).pipe(Effect.provide(clientLayer)))
})
