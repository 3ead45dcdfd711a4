/**
 * Fallbacks in the engine, with a scripted LlmClient: the next model is tried after a retryable
 * failure (the client's retries already spent) or at once on a context-length error, and never on
 * a failure another model would not fix.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { runScripted } from "../support/engine.ts"

const overloaded = { fail: { status: 503, message: "openai answered HTTP 503: overloaded", reason: "overloaded" as const }, attempts: 4 }
const tooLong = {
  fail: {
    status: 400,
    message: "openai answered HTTP 400: This model's maximum context length is 128000 tokens. " +
      "However, your messages resulted in 130000 tokens.",
    reason: "context_length" as const
  }
}

describe("fallbacks", () => {
  it.effect("a model whose retries ran out on a 503 gives way to the question's fallback, which answers", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script("q", overloaded, { text: "from the fallback" })
      const response = yield* runScripted(script, [
        { index: 1, question: "q", model: "openai/gpt-4o", fallbacks: ["anthropic/claude-haiku-4-5"] }
      ])
      expect(script.calls.map((call) => `${call.request.model.provider}/${call.request.model.name}`)).toEqual([
        "openai/gpt-4o",
        "anthropic/claude-haiku-4-5"
      ])
      expect(response.results[0]).toMatchObject({
        status: "success",
        result: "from the fallback",
        model: "anthropic/claude-haiku-4-5",
        models_tried: ["openai/gpt-4o", "anthropic/claude-haiku-4-5"],
        attempts: 5
      })
    }))

  it.effect("a context-length error falls back at once", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script("q", tooLong, { text: "fits" })
      const response = yield* runScripted(script, [
        { index: 1, question: "q", model: "openai/gpt-4o-mini", fallbacks: ["openai/gpt-4.1"] }
      ])
      expect(response.results[0]).toMatchObject({
        status: "success",
        model: "openai/gpt-4.1",
        models_tried: ["openai/gpt-4o-mini", "openai/gpt-4.1"],
        attempts: 2
      })
    }))

  it.effect("a 401 does not fall back: another model would not fix it", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script("q", { fail: { status: 401, message: "openai answered HTTP 401: bad key" } })
      const response = yield* runScripted(script, [{ index: 1, question: "q", fallbacks: ["anthropic/claude-haiku-4-5"] }])
      expect(script.calls).toHaveLength(1)
      expect(response.results[0]).toMatchObject({
        status: "error",
        model: "openai/gpt-4o-mini",
        models_tried: ["openai/gpt-4o-mini"],
        error_message: "openai answered HTTP 401: bad key"
      })
    }))

  it.effect("an answer that never validates does not fall back", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("q", { text: "not json" })
      const response = yield* runScripted(script, [
        { index: 1, question: "q", validation_strategy: "json", max_validation_retries: 1, fallbacks: ["openai/gpt-4.1"] }
      ])
      expect(script.calls.every((call) => call.request.model.name === "gpt-4o-mini")).toBe(true)
      expect(response.results[0]).toMatchObject({ status: "error", models_tried: ["openai/gpt-4o-mini"], retry_count: 1 })
    }))

  it.effect("FALLBACKS gives the default chain per model; a question's own list replaces it, [] turns it off", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("down", overloaded)
      const env = { FALLBACKS: JSON.stringify({ "gpt-4o-mini": ["openai/gpt-4.1", "anthropic/claude-haiku-4-5"] }) }
      const response = yield* runScripted(script, [
        { index: 1, question: "down by default" },
        { index: 2, question: "down with its own", fallbacks: ["openai/o3-mini"] },
        { index: 3, question: "down alone", fallbacks: [] }
      ], { env })
      expect(response.results.map((result) => result.models_tried)).toEqual([
        ["openai/gpt-4o-mini", "openai/gpt-4.1", "anthropic/claude-haiku-4-5"],
        ["openai/gpt-4o-mini", "openai/o3-mini"],
        ["openai/gpt-4o-mini"]
      ])
      expect(response.results[0]).toMatchObject({ status: "error", attempts: 12, model: "anthropic/claude-haiku-4-5" })
      expect(response.results[0]!.error_message).toBe(
        "anthropic/claude-haiku-4-5: openai answered HTTP 503: overloaded (gave up after 4 attempts) " +
          "(the last of the models tried: openai/gpt-4o-mini, openai/gpt-4.1, anthropic/claude-haiku-4-5)"
      )
    }))

  it.effect("a question's fallback that names no provider is a 400 before any call", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
      const error = yield* Effect.flip(runScripted(script, [{ index: 1, question: "q", fallbacks: ["mystery-model"] }]))
      expect(error.message).toContain("questions[0].fallbacks[0]: Cannot tell the provider of model 'mystery-model'")
      expect(script.calls).toHaveLength(0)
    }))
})
