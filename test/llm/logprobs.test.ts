/**
 * Token log-probabilities (`confidence`) are asked of OpenAI only; a server that refuses them is
 * asked again without them, and LLM_LOGPROBS=false never asks. Default cache keys do not change.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Schema } from "effect"
import { runBatch } from "../../src/batch/engine.ts"
import { cacheKey } from "../../src/cache/key.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { BatchRequest } from "../../src/domain/Batch.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import type { CompletionRequest } from "../../src/llm/types.ts"
import { askBatch, askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

/** The requests the engine hands the client for one question, under these settings. */
const requestsSent = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const sent: Array<CompletionRequest> = []
    const client = LlmClient.of({
      complete: (request) =>
        Effect.sync(() => {
          sent.push(request)
          return { completion: { text: "Paris", usage: null, finishReason: "stop", confidence: null }, attempts: 1 }
        })
    })
    const batch = Schema.decodeUnknownSync(BatchRequest)({ questions: [{ index: 1, question: "Capital of France?" }] })
    yield* runBatch(batch).pipe(
      Effect.provide(Layer.succeed(LlmClient, client)),
      Effect.provide(AppConfig.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
    )
    return sent
  })

describe("logprobs", () => {
  it.live("a provider that refuses logprobs is asked again without them: the answer comes, attempts 2", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { rejectLogprobs: true, text: "yes" })
      const item = yield* askOne({ question: "sure?" })
      expect(item).toMatchObject({ status: "success", result: "yes", attempts: 2, retry_count: 0, confidence: null })
      const [refused, plain] = upstream.requests
      expect(upstream.requests).toHaveLength(2)
      expect(refused!.body.logprobs).toBe(true)
      expect(plain!.body).not.toHaveProperty("logprobs")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("once refused, the question's repairs are sent without them too", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Is it", { rejectLogprobs: true }, { text: "Yes, it is." })
      upstream.script("corrected JSON", { text: '{"answer": true, "reason": "It is."}' })
      const item = yield* askOne({ question: "Is it?", response_model: "yes_no" })
      expect(item).toMatchObject({ status: "success", retry_count: 1, attempts: 3 })
      expect(upstream.requests.map((request) => request.body.logprobs)).toEqual([true, undefined, undefined])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("LLM_LOGPROBS=false: no request carries logprobs", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: '{"answer": true, "reason": "It is."}' })
      const response = yield* askBatch({
        questions: [{ index: 1, question: "plain" }, { index: 2, question: "structured", response_model: "yes_no" }]
      })
      expect(response.results.map((r) => [r.status, r.confidence])).toEqual([["success", null], ["success", null]])
      expect(upstream.requests).toHaveLength(2)
      for (const request of upstream.requests) expect(request.body).not.toHaveProperty("logprobs")
    }).pipe(Effect.provide(TestServer.layer({ LLM_LOGPROBS: "false" }))))

  it.effect("a default question's cache key is the one it had before LLM_LOGPROBS existed", () =>
    Effect.gen(function*() {
      const [request] = yield* requestsSent({})
      expect(request).not.toHaveProperty("logprobs")
      // Computed by the code before the setting (commit 9a6f14a): answers cached then still hit.
      expect(cacheKey(request!, "https://api.openai.com/v1")).toBe(
        "v1:14c3b63866ec86c7424c9f73b757bc36e065038bbadfb253d644fdced978afe2"
      )
    }))

  it.effect("LLM_LOGPROBS=false keys apart: an answer cached without confidence does not stand in for one with it", () =>
    Effect.gen(function*() {
      const [on] = yield* requestsSent({})
      const [off] = yield* requestsSent({ LLM_LOGPROBS: "false" })
      expect(off).toMatchObject({ logprobs: false })
      expect(cacheKey(off!, "https://api.openai.com/v1")).not.toBe(cacheKey(on!, "https://api.openai.com/v1"))
    }))
})
