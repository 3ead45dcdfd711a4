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

/** OpenAI's Batch API and Anthropic's Message Batches both bill half the sync price. */
const batchDiscount = 0.5

type Table = typeof CalcPrice
type TableProvider = NonNullable<NonNullable<Parameters<Table>[2]>["provider"]>

/**
 * What the table says of one model, found once: looking a model up (every model's match rules in
 * turn) and the package's general pricing (units, tiers, per-request fees, dated prices) cost
 * ~90 µs a call. `linear`: the model has one undated price per input and output token and nothing
 * else a call can be billed for, so its cost is the package's own sum, done here. `provider`: any
 * other model, priced by the package against a provider holding that one model (it still picks
 * the price in force at the call and applies tiers and fees). null: the table has no such model.
 */
type Found =
  | { readonly _tag: "linear"; readonly input: number; readonly output: number }
  | { readonly _tag: "provider"; readonly provider: TableProvider }
  | null
const found = new Map<string, Found>()
/** Model names come from callers: past this many, the rest are looked up on every call instead. */
const maxRememberedModels = 1_000

/** The package's sum for token prices (`price × tokens / per`, input then output). */
const linearCost = (input: number, output: number, usage: Usage) =>
  (input * usage.prompt_tokens) / perMillion + (output * usage.completion_tokens) / perMillion

const tokensOf = (usage: Usage) => ({ input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens })

const find = (calcPrice: Table, providerId: string, name: string, usage: Usage): Found => {
  const price = calcPrice(tokensOf(usage), name, { providerId })
  if (price === null) return null
  // The model may come from a provider's fallback list: the one-model provider holds whichever matched.
  const provider: Found = {
    _tag: "provider",
    provider: { ...price.provider, models: [price.model], fallback_model_providers: [] }
  }
  const prices = price.model.prices
  // Dated prices, tiers, per-request fees or other units: the package prices every call.
  if (Array.isArray(prices) || Object.entries(prices).some(([key, value]) => typeof value !== "number" || key === "requests_kcount")) {
    return provider
  }
  const linear = { _tag: "linear", input: Number(prices.input_mtok ?? 0), output: Number(prices.output_mtok ?? 0) } as const
  // Only if the package agrees, to the last bit, on this call and two others.
  const samples = [usage, { prompt_tokens: 1000, completion_tokens: 200 }, { prompt_tokens: 123_457, completion_tokens: 6_789 }]
  const agrees = samples.every((sample) =>
    calcPrice(tokensOf(sample), name, { providerId })?.total_price === linearCost(linear.input, linear.output, sample)
  )
  return agrees ? linear : provider
}

const tableCost = (calcPrice: Table, model: ResolvedModel, usage: Usage): number | null => {
  const providerId = tableProviders[model.provider]
  if (providerId === undefined) return null
  const key = `${providerId}\u0000${model.name}`
  try {
    let known = found.get(key)
    if (known === undefined) {
      known = find(calcPrice, providerId, model.name, usage)
      if (found.size < maxRememberedModels) found.set(key, known)
    }
    if (known === null) return null
    if (known._tag === "linear") return linearCost(known.input, known.output, usage)
    // Per call: a model's per-request fee (Perplexity) and tiered prices apply as the provider bills them.
    return calcPrice(tokensOf(usage), model.name, { provider: known.provider })?.total_price ?? null
  } catch {
    // The package throws on an entry it cannot price (e.g. a unit with no base price): that is an unknown price too.
    return null
  }
}

export interface Prices {
  /**
   * The cost of one upstream call that used `usage` tokens of `model`, or null when its price is
   * unknown; on the provider batch lane, MODEL_PRICES' batch prices or half the price.
   */
  readonly callCost: (model: ResolvedModel, usage: Usage, lane?: "sync" | "batch") => number | null
  /** Whether `model` has a price (MODEL_PRICES or the table). */
  readonly hasPrice: (model: ResolvedModel) => boolean
}

const makePrices = (calcPrice: Table, own: ReadonlyMap<string, ModelPrice>): Prices => {
  // `price`: the model's MODEL_PRICES entry, looked up once a call.
  const syncCost = (model: ResolvedModel, usage: Usage, price: ModelPrice | undefined) =>
    finiteOrNull(
      price === undefined
        ? tableCost(calcPrice, model, usage)
        : (usage.prompt_tokens * price.input_per_mtok + usage.completion_tokens * price.output_per_mtok) / perMillion
    )
  const batchCost = (model: ResolvedModel, usage: Usage, price: ModelPrice | undefined) => {
    if (price?.batch_input_per_mtok === undefined || price.batch_output_per_mtok === undefined) {
      const full = syncCost(model, usage, price)
      return full === null ? null : full * batchDiscount
    }
    return finiteOrNull(
      (usage.prompt_tokens * price.batch_input_per_mtok + usage.completion_tokens * price.batch_output_per_mtok) / perMillion
    )
  }
  const callCost = (model: ResolvedModel, usage: Usage, lane: "sync" | "batch" = "sync") => {
    const price = own.get(modelId(model))
    return lane === "batch" ? batchCost(model, usage, price) : syncCost(model, usage, price)
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

/** A cost that overflowed (or came out NaN) cannot be computed: it is unknown, not a number no schema accepts. */
const finiteOrNull = (cost: number | null): number | null => cost !== null && Number.isFinite(cost) ? cost : null

/** A sum of costs where one unknown part (or an overflow) makes the whole unknown. */
export const addCost = (total: number | null, more: number | null): number | null =>
  total === null || more === null ? null : finiteOrNull(total + more)
