/**
 * The response model registry: named Effect Schemas a question asks for with `response_model`.
 *
 * To add a model, add one entry to `specs` below. Its key is the name users send, `description`
 * says what it is for, and `schema` is any Effect Schema whose JSON form is an object. Everything
 * else is derived from it once, when the module loads: the decoder used by the repair loop, the
 * JSON Schema sent to providers and shown in prompts, and the GET /models/response listing.
 * Keep every field required (use `Schema.NullOr` for "may be absent"): OpenAI's strict
 * structured output only accepts schemas whose properties are all required.
 */
import { Exit, Result, Schema } from "effect"
import type { Json } from "effect/Schema"
import { formatCause } from "../domain/decode.ts"

interface ResponseModelSpec {
  readonly description: string
  readonly schema: Schema.Codec<unknown, unknown>
}

const Confidence = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })).annotate({
  description: "How sure the answer is, from 0 (a guess) to 1 (certain)"
})

const specs = {
  yes_no: {
    description: "A yes/no answer with the reason for it",
    schema: Schema.Struct({
      answer: Schema.Boolean.annotate({ description: "true for yes, false for no" }),
      reason: Schema.String.annotate({ description: "One or two sentences explaining the answer" })
    })
  },
  string_list: {
    description: "A list of short strings: names, steps, keywords, options",
    schema: Schema.Struct({
      items: Schema.Array(Schema.String).annotate({ description: "The items, in a meaningful order" })
    })
  },
  number_with_unit: {
    description: "A quantity: a number and its unit",
    schema: Schema.Struct({
      value: Schema.Finite,
      unit: Schema.String.annotate({ description: "e.g. km, USD, °C, people; empty for a pure number" })
    })
  },
  classification: {
    description: "One label from the categories named in the question, with a confidence",
    schema: Schema.Struct({
      label: Schema.String.annotate({ description: "The chosen category" }),
      confidence: Confidence
    })
  },
  sentiment: {
    description: "The sentiment of a text, with a confidence",
    schema: Schema.Struct({
      sentiment: Schema.Literals(["positive", "negative", "neutral", "mixed"]),
      confidence: Confidence
    })
  },
  entities: {
    description: "Named entities found in a text, each with its kind",
    schema: Schema.Struct({
      entities: Schema.Array(Schema.Struct({
        name: Schema.String.annotate({ description: "The entity as written in the text" }),
        kind: Schema.String.annotate({ description: "e.g. person, organization, place, date, product" })
      }))
    })
  }
} satisfies Record<string, ResponseModelSpec>

/** A registered model, ready to use. */
export interface ResponseModel {
  readonly name: string
  readonly description: string
  /** Self-contained JSON Schema (draft 2020-12), generated from the Effect Schema. */
  readonly jsonSchema: Readonly<Record<string, unknown>>
  /** Decodes a parsed answer into the model's canonical JSON form, or says readably why not. */
  readonly decode: (value: Json) => Result.Result<Json, string>
}

const compile = (name: string, spec: ResponseModelSpec): ResponseModel => {
  // The JSON codec is what the generated JSON Schema describes (Schema.toJsonSchemaDocument).
  const codec = Schema.toCodecJson(spec.schema.annotate({ description: spec.description }))
  // Excess properties: advertised as forbidden (strict structured output needs that), but
  // dropped rather than rejected when a model adds one anyway, as pydantic does.
  const document = Schema.toJsonSchemaDocument(codec, { onExcessProperty: "error" })
  const definitions = Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {}
  const decodeJson = Schema.decodeUnknownExit(codec, { errors: "all" })
  const encodeJson = Schema.encodeUnknownExit(codec)
  return {
    name,
    description: spec.description,
    jsonSchema: { ...document.schema, ...definitions },
    decode: (value) => {
      const decoded = decodeJson(value)
      if (Exit.isFailure(decoded)) return Result.fail(formatCause(decoded.cause, "answer"))
      const encoded = encodeJson(decoded.value)
      return Exit.isSuccess(encoded) ? Result.succeed(encoded.value) : Result.fail(formatCause(encoded.cause, "answer"))
    }
  }
}

/** Every registered model, compiled once when the service starts. */
export const responseModels: ReadonlyArray<ResponseModel> = Object.entries(specs).map(([name, spec]) =>
  compile(name, spec)
)
