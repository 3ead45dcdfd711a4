/**
 * The field lists of the MCP tool descriptions, rendered from the JSON Schema the tools advertise:
 * each field's description, bounds and default come from the domain Schema's annotations, so a
 * changed default or description changes the tool description too.
 */
import { Schema } from "effect"

/** An object's JSON Schema: `inputJsonSchema` of a tool, with its parameters inline. */
export const inputJsonSchema = (schema: Schema.Top) => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  return Object.keys(document.definitions).length === 0
    ? document.schema
    : { ...document.schema, $defs: document.definitions }
}

const Described = Schema.Struct({ description: Schema.optionalKey(Schema.String) })

/** The parts of a property's JSON Schema that the help shows; an optional field's value is in `anyOf`. */
const Property = Schema.Struct({
  ...Described.fields,
  default: Schema.optionalKey(Schema.Json),
  minimum: Schema.optionalKey(Schema.Number),
  maximum: Schema.optionalKey(Schema.Number),
  anyOf: Schema.optionalKey(Schema.Array(Schema.Struct({
    ...Described.fields,
    minimum: Schema.optionalKey(Schema.Number),
    maximum: Schema.optionalKey(Schema.Number)
  })))
})
type Property = typeof Property.Type

const ObjectSchema = Schema.Struct({
  properties: Schema.Record(Schema.String, Property),
  required: Schema.optionalKey(Schema.Array(Schema.String))
})

// The schemas are the module's own constants: one that does not decode is a bug, found at startup.
const objectSchema = (schema: Schema.Top) => Schema.decodeUnknownSync(ObjectSchema)(inputJsonSchema(schema))

/** A range worth stating: both ends set, and not merely the limits of a safe integer. */
const range = (minimum: number | undefined, maximum: number | undefined): string | undefined =>
  minimum !== undefined && maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER
    ? `${minimum}–${maximum}`
    : undefined

const show = (value: Schema.Json): string => typeof value === "string" ? value : JSON.stringify(value)

const describe = (name: string, property: Property): string => {
  const value = property.anyOf?.find((member) => member.description !== undefined) ?? property.anyOf?.[0] ?? property
  const parts = [
    property.description ?? value.description,
    range(property.minimum ?? value.minimum, property.maximum ?? value.maximum),
    property.default === undefined ? undefined : `default \`${show(property.default)}\``
  ].filter((part) => part !== undefined)
  return parts.length === 0 ? `- \`${name}\`` : `- \`${name}\`: ${parts.join("; ")}`
}

/** One line per field, required fields first: "- `temperature`: Sampling temperature; 0–2; default `0.2`". */
export const fieldsHelp = (schema: Schema.Top): string => {
  const { properties, required = [] } = objectSchema(schema)
  const fields = Object.entries(properties)
  const isRequired = ([name]: readonly [string, Property]) => required.includes(name)
  return [...fields.filter(isRequired), ...fields.filter((field) => !isRequired(field))]
    .map(([name, property]) => describe(name, property))
    .join("\n")
}

/** The field names of an object schema, as "`a`, `b` and `c`". */
export const fieldNames = (schema: Schema.Top): string => {
  const names = Object.keys(objectSchema(schema).properties).map((name) => `\`${name}\``)
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`
}
