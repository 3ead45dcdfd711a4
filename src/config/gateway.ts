/**
 * The gateway's JSON settings: `FALLBACKS` (the default fallback models per model) and
 * `MODEL_PRICES` (prices added to or overriding the price table). Each model is checked the way a
 * question's model is resolved and stored under its `provider/model` id, so a bare `gpt-4o-mini`
 * and `openai/gpt-4o-mini` name the same model.
 */
import { Config, ConfigProvider, Exit, Schema } from "effect"
import { maxFallbackModels } from "../domain/Batch.ts"
import { formatCause } from "../domain/decode.ts"
import { UnknownProviderError } from "../domain/Errors.ts"
import { modelId, resolveModel } from "../domain/providers.ts"

/** USD per million tokens. */
export interface ModelPrice {
  readonly input_per_mtok: number
  readonly output_per_mtok: number
  /** On the provider batch lane; left out: half the price above (both providers' batch discount). */
  readonly batch_input_per_mtok?: number | undefined
  readonly batch_output_per_mtok?: number | undefined
}

/**
 * The highest price MODEL_PRICES accepts, in USD per million tokens ($0.10 a token; the dearest
 * models list a few hundred): above it a price is a typo, and near 1e308 a call's cost overflows.
 */
export const maxPricePerMtok = 100_000

const Price = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const FallbacksJson = Schema.Record(Schema.String, Schema.Array(Schema.NonEmptyString))
const PricesJson = Schema.Record(
  Schema.String,
  Schema.Struct({
    input_per_mtok: Price,
    output_per_mtok: Price,
    batch_input_per_mtok: Schema.optionalKey(Price),
    batch_output_per_mtok: Schema.optionalKey(Price)
  })
)

const fail = (message: string) => Config.fail(new ConfigProvider.SourceError({ message }))

/** `model`'s `provider/model` id, or why it names no model. */
const idOf = (model: string): string | UnknownProviderError => {
  const resolved = resolveModel(model)
  return resolved instanceof UnknownProviderError ? resolved : modelId(resolved)
}

/** A JSON variable decoded with `schema`; empty means `{}`. */
const jsonSetting = <S extends Schema.ConstraintDecoder<unknown>>(name: string, schema: S, example: string) => {
  const decode = Schema.decodeUnknownExit(Schema.fromJsonString(schema), { onExcessProperty: "error", errors: "all" })
  return Config.String(name).pipe(
    Config.withDefault(""),
    Config.flatMap((text): Config.Config<S["Type"] | undefined> => {
      if (text.trim() === "") return Config.succeed(undefined)
      const decoded = decode(text)
      return Exit.isSuccess(decoded)
        ? Config.succeed(decoded.value)
        : fail(`${name} must be a JSON object like ${example}; ${formatCause(decoded.cause, name)}`)
    })
  )
}

export const fallbacksSetting: Config.Config<ReadonlyMap<string, ReadonlyArray<string>>> = jsonSetting(
  "FALLBACKS",
  FallbacksJson,
  `{"openai/gpt-4o": ["anthropic/claude-sonnet-4-5"]}`
).pipe(Config.flatMap((given) => {
  const table = new Map<string, ReadonlyArray<string>>()
  for (const [model, fallbacks] of Object.entries(given ?? {})) {
    const id = idOf(model)
    if (id instanceof UnknownProviderError) return fail(`FALLBACKS: key "${model}": ${id.message}`)
    if (fallbacks.length > maxFallbackModels) {
      return fail(`FALLBACKS: "${model}" lists ${fallbacks.length} fallbacks, above the maximum of ${maxFallbackModels}`)
    }
    const ids: Array<string> = []
    for (const fallback of fallbacks) {
      const fallbackId = idOf(fallback)
      if (fallbackId instanceof UnknownProviderError) {
        return fail(`FALLBACKS: "${model}" lists "${fallback}": ${fallbackId.message}`)
      }
      ids.push(fallbackId)
    }
    table.set(id, ids)
  }
  return Config.succeed(table)
}))

export const modelPricesSetting: Config.Config<ReadonlyMap<string, ModelPrice>> = jsonSetting(
  "MODEL_PRICES",
  PricesJson,
  `{"openai/my-fine-tune": {"input_per_mtok": 0.3, "output_per_mtok": 1.2}} (USD per million tokens)`
).pipe(Config.flatMap((given) => {
  const table = new Map<string, ModelPrice>()
  for (const [model, price] of Object.entries(given ?? {})) {
    const id = idOf(model)
    if (id instanceof UnknownProviderError) return fail(`MODEL_PRICES: key "${model}": ${id.message}`)
    for (const field of ["input_per_mtok", "output_per_mtok", "batch_input_per_mtok", "batch_output_per_mtok"] as const) {
      if ((price[field] ?? 0) > maxPricePerMtok) {
        return fail(
          `MODEL_PRICES: "${model}" has ${field} ${price[field]}, above the maximum of ${maxPricePerMtok} USD per million tokens`
        )
      }
    }
    table.set(id, price)
  }
  return Config.succeed(table)
}))
