/**
 * FALLBACKS, MODEL_PRICES and VALIDATION_MAX_RETRIES: read once at startup, each model checked, with a
 * message that says what to fix.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { appConfig } from "../../src/config/AppConfig.ts"
import { maxPricePerMtok } from "../../src/config/gateway.ts"
import { maxFallbackModels, maxRepairRetries } from "../../src/domain/Batch.ts"

const read = (env: Record<string, string>) => appConfig.parse(ConfigProvider.fromEnv({ env }))

describe("gateway settings", () => {
  it.effect("FALLBACKS is keyed and listed by provider/model, bare names resolved", () =>
    Effect.gen(function*() {
      const config = yield* read({ FALLBACKS: `{"gpt-4o": ["claude-haiku-4-5", "gemini/gemini-2.5-flash"]}` })
      expect([...config.fallbacks]).toEqual([["openai/gpt-4o", ["anthropic/claude-haiku-4-5", "gemini/gemini-2.5-flash"]]])
    }))

  it.effect("a FALLBACKS model with no known provider stops the start, naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({ FALLBACKS: `{"openai/gpt-4o": ["mystery"]}` }))
      expect(String(error)).toContain(`FALLBACKS: "openai/gpt-4o" lists "mystery": Cannot tell the provider of model 'mystery'`)
    }))

  it.effect("FALLBACKS that is not a JSON object of lists says what shape it wants", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({ FALLBACKS: `["openai/gpt-4o"]` }))
      expect(String(error)).toContain(`FALLBACKS must be a JSON object like {"openai/gpt-4o": ["anthropic/claude-sonnet-4-5"]}`)
    }))

  it.effect("MODEL_PRICES takes USD per million tokens; a negative or missing price stops the start", () =>
    Effect.gen(function*() {
      const config = yield* read({ MODEL_PRICES: `{"ollama/llama3.2": {"input_per_mtok": 0, "output_per_mtok": 0.5}}` })
      expect(config.modelPrices.get("ollama/llama3.2")).toEqual({ input_per_mtok: 0, output_per_mtok: 0.5 })
      const error = yield* Effect.flip(read({ MODEL_PRICES: `{"ollama/llama3.2": {"input_per_mtok": -1}}` }))
      expect(String(error)).toContain("MODEL_PRICES must be a JSON object like")
      expect(String(error)).toContain("input_per_mtok")
      expect(String(error)).toContain("output_per_mtok")
    }))

  it.effect("FALLBACKS listing more than the maximum of fallback models stops the start, naming the model", () =>
    Effect.gen(function*() {
      const list = Array.from({ length: maxFallbackModels + 1 }, (_, i) => `openai/gpt-4o-${i}`)
      const error = yield* Effect.flip(read({ FALLBACKS: JSON.stringify({ "openai/gpt-4o": list }) }))
      expect(String(error)).toContain(
        `FALLBACKS: "openai/gpt-4o" lists ${maxFallbackModels + 1} fallbacks, above the maximum of ${maxFallbackModels}`
      )
      const atMost = yield* read({ FALLBACKS: JSON.stringify({ "openai/gpt-4o": list.slice(1) }) })
      expect(atMost.fallbacks.get("openai/gpt-4o")).toHaveLength(maxFallbackModels)
    }))

  it.effect("VALIDATION_MAX_RETRIES above the most repairs a question may ask for stops the start", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({ VALIDATION_MAX_RETRIES: "1000000000" }))
      expect(String(error)).toContain(`Expected a value between 0 and ${maxRepairRetries}`)
      expect(String(error)).toContain("VALIDATION_MAX_RETRIES")
      expect((yield* read({ VALIDATION_MAX_RETRIES: String(maxRepairRetries) })).validationMaxRetries).toBe(maxRepairRetries)
    }))

  it.effect("a MODEL_PRICES price above the maximum per million tokens stops the start, naming the model", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({
        MODEL_PRICES: `{"openai/my-fine-tune": {"input_per_mtok": 1, "output_per_mtok": 1e308}}`
      }))
      expect(String(error)).toContain(
        `MODEL_PRICES: "openai/my-fine-tune" has output_per_mtok 1e+308, above the maximum of ${maxPricePerMtok} USD per million tokens`
      )
      const dear = yield* read({
        MODEL_PRICES: JSON.stringify({ "openai/my-fine-tune": { input_per_mtok: maxPricePerMtok, output_per_mtok: 0 } })
      })
      expect(dear.modelPrices.get("openai/my-fine-tune")?.input_per_mtok).toBe(maxPricePerMtok)
    }))
})
