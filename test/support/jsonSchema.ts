/** Comparing served JSON Schemas (OpenAPI components) with the domain Schemas they come from. */
import { Schema } from "effect"

export type JsonObject = { readonly [key: string]: unknown }

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Inlines every local `$ref` (`#/components/schemas/X`, `#/$defs/X`) so two documents that name
 * their shared parts differently compare by what they say. The schemas compared are not recursive.
 */
export const inline = (value: unknown, definitions: JsonObject): unknown => {
  if (Array.isArray(value)) return value.map((item) => inline(item, definitions))
  if (!isObject(value)) return value
  const ref = value["$ref"]
  if (typeof ref === "string") return inline(definitions[ref.slice(ref.lastIndexOf("/") + 1)], definitions)
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inline(item, definitions)]))
}

/** The JSON Schema of a domain Schema, inlined; by default as our decoders apply it (unknown fields refused). */
export const jsonSchemaOf = (schema: Schema.Top, onExcessProperty: "error" | "ignore" = "error") => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty })
  return inline(document.schema, document.definitions)
}
