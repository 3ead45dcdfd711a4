import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { llmClientOnFake } from "../support/LlmClientOnFake.ts"

/** The LlmClient on its own, with no plan check in front. */
const clientLayer = llmClientOnFake

describe("cancellation", () => {
  for (const [provider, model] of [["openai", "gpt-4o-mini"], ["anthropic", "claude-haiku-4-5"]] as const) {
    it.live(`aborts the upstream ${provider} request when the call is interrupted`, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("long", { delayMs: 5_000 })
        const llm = yield* LlmClient
        const fiber = yield* Effect.forkChild(llm.complete({
          model: { provider, name: model },
          messages: [{ role: "user", content: "long task" }],
          temperature: 0,
          maxTokens: 10
        }))
        while (upstream.requests.length === 0) yield* Effect.sleep(5)
        yield* Fiber.interrupt(fiber)
        while (upstream.aborted === 0) yield* Effect.sleep(5)
        expect(upstream.aborted).toBe(1)
      }).pipe(Effect.provide(clientLayer)))
  }
})
