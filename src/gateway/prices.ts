/**
 * What an upstream call cost, in USD: `MODEL_PRICES` first, then the price table bundled with
 * `@pydantic/genai-prices` (maintained upstream, read offline: its auto-update is never enabled).
 * A model in neither has no price, and its cost is `null`: never a guess.
 */
import type { calcPrice as CalcPrice } from "@pydantic/genai-prices"
import { Effect } from "effect"
import type { ModelPrice } from "../config/gateway.ts"
import type { Usage } from "../domain/Batch.ts"
import { modelId, type ProviderName, type ResolvedModel } from "../domain/providers.ts"

/** Our provider names as the price table spells them; undefined: the table has no prices for it. */
const tableProviders: Readonly<Record<ProviderName, string | undefined>> = {
  openai: "openai",
  anthropic: "anthropic",
  gemini: "google",
  groq: "groq",
  mistral: "mistral",
  deepseek: "deepseek",
  xai: "x-ai",
  openrouter: "openrouter",
  perplexity: "perplexity",
  together_ai: "together",
  fireworks_ai: "fireworks",
  // A local server's price is the operator's to say (MODEL_PRICES).
  ollama: undefined
}

const perMillion = 1_000_000

type Table = typeof CalcPrice

const tableCost = (calcPrice: Table, model: ResolvedModel, usage: Usage): number | null => {
  const providerId = tableProviders[model.provider]
  if (providerId === undefined) return null
  try {
    // Per call: a model's per-request fee (Perplexity) and tiered prices apply as the provider bills them.
    const price = calcPrice({ input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens }, model.name, {
      providerId
    })
    return price === null ? null : price.total_price
  } catch {
    // The package throws on an entry it cannot price (e.g. a unit with no base price): that is an unknown price too.
    return null
  }
}

export interface Prices {
  /** The cost of one upstream call that used `usage` tokens of `model`, or null when its price is unknown. */
  readonly callCost: (model: ResolvedModel, usage: Usage) => number | null
  /** Whether `model` has a price (MODEL_PRICES or the table). */
  readonly hasPrice: (model: ResolvedModel) => boolean
}

const makePrices = (calcPrice: Table, own: ReadonlyMap<string, ModelPrice>): Prices => {
  const callCost = (model: ResolvedModel, usage: Usage) => {
    const price = own.get(modelId(model))
    return price === undefined
      ? tableCost(calcPrice, model, usage)
      : (usage.prompt_tokens * price.input_per_mtok + usage.completion_tokens * price.output_per_mtok) / perMillion
  }
  return {
    callCost,
    hasPrice: (model) => callCost(model, { prompt_tokens: 0, completion_tokens: 0 }) !== null
  }
}

let table: Table | undefined

/**
 * Loads the table once. It is loaded on first use: its ~0.8 MB of data takes ~120 ms to load,
 * which a start (or a service that never prices a call) should not pay.
 */
export const loadPriceTable: Effect.Effect<Table> = Effect.suspend(() =>
  table === undefined
    ? Effect.map(Effect.promise(() => import("@pydantic/genai-prices")), (module) => (table ??= module.calcPrice))
    : Effect.succeed(table)
)

/** The prices with `MODEL_PRICES` (`own`) over the table. */
export const pricesWith = (own: ReadonlyMap<string, ModelPrice>): Effect.Effect<Prices> =>
  Effect.map(loadPriceTable, (calcPrice) => makePrices(calcPrice, own))

/** A sum of costs where one unknown part makes the whole unknown. */
export const addCost = (total: number | null, more: number | null): number | null =>
  total === null || more === null ? null : total + more
