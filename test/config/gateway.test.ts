/** FALLBACKS and MODEL_PRICES: read once at startup, each model checked, with a message that says what to fix. */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { appConfig } from "../../src/config/AppConfig.ts"

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
})
