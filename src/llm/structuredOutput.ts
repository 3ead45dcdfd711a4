/**
 * Native structured output: a `ResponseFormat` as each protocol's request parameter. A provider
 * refusing that parameter is recognised in refusals.ts (the caller then asks again without it).
 */
import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema"
import type { JSONOutputFormat } from "@anthropic-ai/sdk/resources/messages/messages"
import type { JSONSchema } from "openai/lib/jsonschema"
import { toStrictJsonSchema } from "openai/lib/transform"
import type { ResponseFormatJSONObject, ResponseFormatJSONSchema } from "openai/resources/shared"
import type { ResponseFormat } from "./types.ts"

/** Conversions run once per format (a registered model's once per process), not once per call. */
const memoize = <A>(convert: (format: ResponseFormat) => A) => {
  const done = new WeakMap<ResponseFormat, { readonly value: A }>()
  return (format: ResponseFormat): A => {
    const hit = done.get(format)
    if (hit !== undefined) return hit.value
    const value = convert(format)
    done.set(format, { value })
    return value
  }
}

const isObjectRoot = (format: ResponseFormat) => format.schema["type"] === "object"

/**
 * OpenAI-compatible `response_format`: a strict `json_schema` when the schema fits strict mode
 * (the SDK's own normalizer decides: every property required, objects closed, no unsupported
 * keyword), else `json_object`, which still guarantees an object; nothing for non-object roots.
 */
export const openAiResponseFormat = memoize(
  (format): ResponseFormatJSONSchema | ResponseFormatJSONObject | undefined => {
    // A plain-JSON copy typed for the SDK helper (which copies again; it never mutates its input).
    const schema: JSONSchema = JSON.parse(JSON.stringify(format.schema))
    try {
      return {
        type: "json_schema",
        json_schema: { name: format.name, schema: { ...toStrictJsonSchema(schema) }, strict: true }
      }
    } catch {
      return isObjectRoot(format) ? { type: "json_object" } : undefined
    }
  }
)

/**
 * Anthropic `output_config.format`, for object roots. The SDK's transform moves constraints
 * Anthropic does not enforce (bounds, lengths) into descriptions; our own validation still
 * checks them, and the repair loop fixes what slips through.
 */
export const anthropicOutputFormat = memoize((format): JSONOutputFormat | undefined => {
  if (!isObjectRoot(format)) return undefined
  try {
    return { type: "json_schema", schema: transformJSONSchema(format.schema) }
  } catch {
    return undefined
  }
})
