/**
 * Cache keys and stored values. A key is the SHA-256 of a canonical encoding of everything that
 * changes the answer, behind a format version; a value is a normalized `Completion` as JSON.
 */
import { Brand, Option, Schema } from "effect"
import { hash } from "node:crypto"
import { Usage } from "../domain/Batch.ts"
import type { Completion, CompletionRequest } from "../llm/types.ts"

/**
 * Bump when the encoding of keys or values changes: entries written by an older format are then
 * never read (they expire on their own TTL).
 */
export const cacheFormatVersion = "v1"

/** `v1:<sha256 hex>`: short, fixed length, and free of prompt text. */
export type CacheKey = string & Brand.Brand<"CacheKey">
const CacheKey = Brand.nominal<CacheKey>()

/**
 * Request fields that do not change the answer. Every other field is an ingredient, so a field
 * added to `CompletionRequest` later (e.g. a response format) can never be left out of the key.
 */
const notIngredients: ReadonlySet<string> = new Set(["cache", "apiBase", "model"])

/** JSON with sorted object keys and `undefined` dropped, so equal requests encode equally. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`
  const entries = Object.entries(value)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(",")}}`
}

/**
 * The key of a request. `baseUrl` is where the call actually goes (the per-question `api_base`
 * or the provider's configured base): two servers may answer the same model name differently.
 */
export const cacheKey = (request: CompletionRequest, baseUrl: string): CacheKey => {
  const ingredients: Record<string, unknown> = {
    provider: request.model.provider,
    model: request.model.name,
    baseUrl
  }
  for (const [name, value] of Object.entries(request)) {
    if (!notIngredients.has(name)) ingredients[name] = value
  }
  const digest = hash("sha256", canonicalJson(ingredients), "hex")
  return CacheKey(`${cacheFormatVersion}:${digest}`)
}

/** What is stored: the normalized completion, checked again on the way out. */
export const StoredCompletion = Schema.Struct({
  text: Schema.String,
  usage: Schema.NullOr(Usage),
  finishReason: Schema.NullOr(Schema.String),
  confidence: Schema.NullOr(Schema.Number)
})

const StoredCompletionJson = Schema.fromJsonString(StoredCompletion)
const decodeStored = Schema.decodeUnknownOption(StoredCompletionJson)

export const encodeCompletion = (completion: Completion): string =>
  JSON.stringify({
    text: completion.text,
    usage: completion.usage,
    finishReason: completion.finishReason,
    confidence: completion.confidence
  })

/** A value that does not decode (corrupt, or written by something else) is a miss, not an error. */
export const decodeCompletion = (stored: string | null | undefined): Option.Option<Completion> =>
  stored === null || stored === undefined ? Option.none() : decodeStored(stored)
