/**
 * The public contract of POST /ask: one Schema per shape, shared by HTTP, RPC, MCP and the CLI.
 * Field names and defaults follow repo_docs/contract.md exactly.
 */
import { Option, Schema, SchemaGetter } from "effect"
import { ResultLane } from "./Lane.ts"

/**
 * A field with a default: left out or `null` both mean "not given", as the original service did
 * (clients that serialize every field send `null`). The JSON Schema says `T | null`, optional.
 */
export const withDefault = <S extends Schema.Top>(value: S["Encoded"]) => (self: S) =>
  Schema.optionalKey(Schema.NullOr(Schema.toEncoded(self)).annotate({ default: value })).pipe(Schema.decodeTo(self, {
    decode: SchemaGetter.transformOptional((given) =>
      Option.some(Option.getOrElse(Option.filter(given, (v) => v !== null), () => value))
    ),
    encode: SchemaGetter.passthroughSubtype()
  }))

/** Optional input field; `null` is accepted as "not given", as the original service did. */
const optionalField = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

export const Method = Schema.Literals(["concurrent", "sequential"]).annotate({
  description: "`concurrent` items start at once; a `sequential` item waits for the previous sequential item in the list"
})
export type Method = typeof Method.Type

export const ValidationStrategy = Schema.Literals(["pydantic", "schema", "json", "none"]).annotate({
  description: "`schema` (alias `pydantic`): the answer must match `response_schema` or `response_model` " +
    "(without either it is plain text); `json`: any valid JSON; `none`: raw text"
})
export type ValidationStrategy = typeof ValidationStrategy.Type

// Finite, not Number: the JSON Schema advertised to MCP clients then says `number` with its bounds.
const Temperature = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 2 }))
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * The most repair retries a question may ask for (and VALIDATION_MAX_RETRIES may set): each one
 * is an upstream call, and with fallbacks and transport retries they multiply.
 */
export const maxRepairRetries = 10
/** The most fallback models a question (or one FALLBACKS entry) may list: each is a model's full set of calls. */
export const maxFallbackModels = 5

const RepairRetries = NonNegativeInt.check(Schema.isLessThanOrEqualTo(maxRepairRetries, {
  message: `expected at most ${maxRepairRetries} (the most repair retries a question may ask for)`
}))

/** A fallback list, as a question or FALLBACKS gives it. */
export const FallbackModels = Schema.Array(Schema.NonEmptyString).check(Schema.isMaxLength(maxFallbackModels, {
  message: `expected at most ${maxFallbackModels} fallback models (the service's maximum)`
}))

/** The most characters a question's `meta` may take as JSON: a row's id and a few labels, not the row. */
export const maxMetaChars = 2_048

const metaDescription = "Opaque labels returned unchanged on the question's result (e.g. a row's id, to join answers " +
  `back): an object of string, number, boolean or null values, at most ${maxMetaChars} characters as JSON`

export const QuestionMeta = Schema.Record(
  Schema.String,
  Schema.Union([Schema.String, Schema.Finite, Schema.Boolean, Schema.Null])
).annotate({ description: metaDescription }).check(Schema.makeFilter(
  (meta) =>
    JSON.stringify(meta).length <= maxMetaChars
      ? undefined
      : `expected at most ${maxMetaChars} characters as JSON (meta is for a row's id and a few labels)`,
  { description: metaDescription }
))
export type QuestionMeta = typeof QuestionMeta.Type

export const QuestionItem = Schema.Struct({
  index: Schema.Int.annotate({ description: "Unique within the batch; results are sorted by it" }),
  question: Schema.NonEmptyString.annotate({
    description: "The prompt. `{Q<n>_result}` is replaced by item n's answer (and makes this item wait for it)"
  }),
  method: Method.pipe(withDefault<typeof Method>("concurrent")),
  model: optionalField(Schema.NonEmptyString.annotate({
    description: "`provider/model`, e.g. `openai/gpt-4o-mini`, `anthropic/claude-sonnet-4-5`, " +
      "`gemini/gemini-2.5-flash`, `ollama/llama3.2`, `perplexity/sonar`; the service's default model when omitted"
  })),
  system: optionalField(Schema.String.annotate({ description: "System prompt" })),
  validation_strategy: ValidationStrategy.pipe(withDefault<typeof ValidationStrategy>("pydantic")),
  response_model: optionalField(Schema.NonEmptyString.annotate({
    description: "Name of a response schema registered in the service (GET /models/response); the answer must match it"
  })),
  response_schema: optionalField(
    Schema.Record(Schema.String, Schema.Unknown).annotate({ description: "An inline JSON Schema the answer must match" })
  ),
  temperature: Temperature.annotate({ description: "Sampling temperature" }).pipe(withDefault<typeof Temperature>(0.2)),
  max_tokens: PositiveInt.annotate({ description: "Most tokens the answer may use" }).pipe(
    withDefault<typeof PositiveInt>(1000)
  ),
  top_p: optionalField(
    Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })).annotate({ description: "Nucleus sampling" })
  ),
  stop: optionalField(
    Schema.Union([Schema.String, Schema.Array(Schema.String)]).annotate({ description: "Stop sequence(s)" })
  ),
  seed: optionalField(Schema.Int.annotate({ description: "Sampling seed, for providers that support it" })),
  api_base: optionalField(Schema.NonEmptyString.annotate({ description: "Per-question provider base URL" })),
  cache: Schema.Boolean.annotate({ description: "`false` skips the answer cache" }).pipe(
    withDefault<typeof Schema.Boolean>(true)
  ),
  max_validation_retries: optionalField(RepairRetries.annotate({
    description: "How many times an answer that does not validate is sent back to the model with the error " +
      `(the service's VALIDATION_MAX_RETRIES when omitted; at most ${maxRepairRetries})`
  })),
  fallbacks: optionalField(FallbackModels.annotate({
    description: "Models to try in order when `model` fails after its transport retries on a retryable error " +
      "(429, 5xx, timeout) or at once on a context-length error; replaces the service's FALLBACKS for this " +
      `question (\`[]\`: no fallback); at most ${maxFallbackModels}`
  })),
  meta: Schema.optionalKey(QuestionMeta)
})
export type QuestionItem = typeof QuestionItem.Type

/** A spending limit in US dollars: the batch (or job) sends no new question once its cost reaches it. */
export const MaxCostUsd = Schema.Finite.check(Schema.isGreaterThan(0)).annotate({
  description: "Budget in USD: once the cost spent reaches it, questions not yet sent end as errors " +
    "`budget exceeded` (those in flight finish). Every model the batch may use needs a known price"
})

export const BatchRequest = Schema.Struct({
  questions: Schema.Array(QuestionItem).annotate({ description: "The questions of the batch" }),
  max_cost_usd: Schema.optionalKey(MaxCostUsd)
})
export type BatchRequest = typeof BatchRequest.Type

export const Usage = Schema.Struct({
  prompt_tokens: NonNegativeInt,
  completion_tokens: NonNegativeInt
})
export type Usage = typeof Usage.Type

export const ResultItem = Schema.Struct({
  index: Schema.Int,
  status: Schema.Literals(["success", "error"]),
  result: Schema.NullOr(Schema.Json),
  error_message: Schema.NullOr(Schema.String),
  confidence: Schema.NullOr(Schema.Finite),
  retry_count: NonNegativeInt,
  model: Schema.String,
  cached: Schema.Boolean,
  attempts: NonNegativeInt,
  latency_ms: Schema.Finite,
  usage: Schema.NullOr(Usage),
  models_tried: Schema.Array(Schema.String).annotate({
    description: "Every model tried, in order (`[model]` when no fallback was needed); `model` is the last"
  }),
  cost_usd: Schema.NullOr(Schema.Finite).annotate({
    description: "USD spent on this question, every upstream call included (repairs, fallbacks); 0 when no " +
      "call was made (cached, skipped); null when a model's price or a call's usage is unknown"
  }),
  finish_reason: Schema.NullOr(Schema.String).annotate({
    description: "Why the model's last answer ended, as the provider says it (`stop`, `end_turn`; `length` or " +
      "`max_tokens`: cut off at max_tokens); null when no answer came back"
  }),
  lane: ResultLane,
  last_response: Schema.optionalKey(Schema.String.annotate({
    description: "Only when the answer never validated: the model's last raw answer"
  })),
  meta: Schema.optionalKey(QuestionMeta)
})
export type ResultItem = typeof ResultItem.Type

export const BatchSummary = Schema.Struct({
  succeeded: NonNegativeInt,
  failed: NonNegativeInt,
  usage: Usage.annotate({ description: "Tokens summed over every question" }),
  cost_usd: Schema.NullOr(Schema.Finite).annotate({
    description: "USD summed over every question; null when any question's cost is unknown"
  })
}).annotate({ description: "Totals of the batch" })
export type BatchSummary = typeof BatchSummary.Type

export const BatchResponse = Schema.Struct({
  results: Schema.Array(ResultItem),
  summary: BatchSummary
})
export type BatchResponse = typeof BatchResponse.Type
