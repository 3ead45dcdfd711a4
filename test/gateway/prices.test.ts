/**
 * Prices: a model is looked up in the table once and later calls are priced against what was
 * found (prices.ts). Every model of the providers below must cost exactly what the package's own
 * lookup says, on the first call and on later ones, tiered prices (large prompts) included.
 */
import { describe, expect, it } from "@effect/vitest"
import { calcPrice, findProvider } from "@pydantic/genai-prices"
import { Effect } from "effect"
import { UnknownProviderError } from "../../src/domain/Errors.ts"
import { type ProviderName, resolveModel } from "../../src/domain/providers.ts"
import { addCost, pricesWith } from "../../src/gateway/prices.ts"

const providers: ReadonlyArray<readonly [ProviderName, string]> = [
  ["openai", "openai"],
  ["anthropic", "anthropic"],
  ["gemini", "google"],
  ["deepseek", "deepseek"],
  ["perplexity", "perplexity"],
  ["mistral", "mistral"]
]

// Small, past the 128k and 200k tiers some models have, and empty.
const usages = [
  { prompt_tokens: 1000, completion_tokens: 200 },
  { prompt_tokens: 300_000, completion_tokens: 5_000 },
  { prompt_tokens: 0, completion_tokens: 0 }
]

const direct = (providerId: string, name: string, usage: (typeof usages)[number]): number | null => {
  try {
    return calcPrice({ input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens }, name, { providerId })
      ?.total_price ?? null
  } catch {
    return null
  }
}

describe("prices", () => {
  it.effect("every model costs what the package says, on its first call and every later one", () =>
    Effect.gen(function*() {
      const prices = yield* pricesWith(new Map())
      let compared = 0
      for (const [provider, providerId] of providers) {
        const names = findProvider({ providerId })!.models.map((model) => model.id)
        expect(names.length).toBeGreaterThan(0)
        for (const name of [...names, "no-such-model"]) {
          for (let round = 0; round < 2; round++) {
            for (const usage of usages) {
              expect([name, round, usage, prices.callCost({ provider, name }, usage)])
                .toEqual([name, round, usage, direct(providerId, name, usage)])
              compared += 1
            }
          }
        }
      }
      expect(compared).toBeGreaterThan(100)
    }))

  it.effect("a cost that overflows (or sums to more than a number holds) is unknown, never Infinity", () =>
    Effect.gen(function*() {
      const prices = yield* pricesWith(new Map([["openai/my-fine-tune", { input_per_mtok: 1e308, output_per_mtok: 1e308 }]]))
      const model = resolveModel("openai/my-fine-tune")
      if (model instanceof UnknownProviderError) return expect.fail(model.message)
      expect(prices.callCost(model, { prompt_tokens: 1000, completion_tokens: 200 })).toBeNull()
      expect(addCost(Number.MAX_VALUE, Number.MAX_VALUE)).toBeNull()
      expect(addCost(1, 2)).toBe(3)
    }))
})
