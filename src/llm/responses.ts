/**
 * The provider answers we rely on, as Schemas: only the fields we read. The SDKs hand back whatever
 * the body held (an HTML page as a string, `{}`, `null`), typed as a completion; decoding it here
 * turns anything else into that item's `UpstreamError` instead of a crash further on.
 */
import { Array as Arr, Cause, Effect, Exit, Schema } from "effect"
import { Usage } from "../domain/Batch.ts"
import { formatCause } from "../domain/decode.ts"
import type { UpstreamError } from "../domain/Errors.ts"
import { notACompletion } from "./sdkErrors.ts"

const FinishReason = Schema.optionalKey(Schema.NullOr(Schema.String))

/** An empty list is not an answer: we read its first element. */
const NonEmpty = <S extends Schema.Top>(item: S) =>
  Schema.Array(item).pipe(Schema.refine(Arr.isReadonlyArrayNonEmpty, { expected: "a non-empty list" }))

/** OpenAI's usage has the domain's field names; tokens are non-negative integers. */
const OptionalUsage = Schema.optionalKey(Schema.NullOr(Usage))

const OpenAiChoice = Schema.Struct({
  // `null` when the model refused or called a tool: an empty answer, as the SDK types allow.
  message: Schema.Struct({ content: Schema.NullOr(Schema.String) }),
  finish_reason: FinishReason,
  logprobs: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    content: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Struct({ logprob: Schema.Finite }))))
  })))
})

const OpenAiCompletion = Schema.Struct({
  choices: NonEmpty(OpenAiChoice),
  usage: OptionalUsage
})

/** A text block, or a block we skip (thinking, tool use): no other block type has a `text` field. */
const AnthropicBlock = Schema.Struct({ type: Schema.String, text: Schema.optionalKey(Schema.String) }).check(
  Schema.makeFilter((block) =>
    block.type !== "text" || block.text !== undefined || { path: ["text"], issue: "a text block needs its text" }
  )
)

const AnthropicMessage = Schema.Struct({
  content: NonEmpty(AnthropicBlock),
  stop_reason: FinishReason,
  usage: Schema.optionalKey(
    Schema.NullOr(Schema.Struct({ input_tokens: Schema.Natural, output_tokens: Schema.Natural }))
  )
})

/** What an API error body says, in either provider's shape (`{"error": {"message": …}}` or a string). */
const ErrorBody = Schema.Struct({
  error: Schema.Union([Schema.String, Schema.Struct({ message: Schema.String })])
})

const decodeErrorBody = Schema.decodeUnknownExit(ErrorBody)

const errorMessageIn = (body: unknown): string | undefined => {
  const exit = decodeErrorBody(body)
  if (Exit.isFailure(exit)) return undefined
  const { error } = exit.value
  return typeof error === "string" ? error : error.message
}

/** Why `body` is not a completion: the provider's own error message if it sent one, else the Schema's paths. */
const problem = (body: unknown, cause: Cause.Cause<Schema.SchemaError>): string => {
  // The SDKs hand back a body that is not JSON (an HTML page from a proxy) as a string.
  if (typeof body === "string") return "body: expected a JSON object, got text"
  const stated = errorMessageIn(body)
  if (stated !== undefined) return `it reports an error: ${stated}`
  return formatCause(cause, "body")
}

/**
 * A decoder compiled once (this is the hot path): the provider's answer as `schema` says, or a
 * non-retryable `UpstreamError` naming the provider, the status and what was wrong.
 */
const decodeAnswer = <S extends Schema.ConstraintDecoder<unknown>>(schema: S) => {
  const decode = Schema.decodeUnknownExit(schema)
  // `trusted`: the base is the server's or allow-listed, so what the body says may be shown.
  return (
    provider: string,
    status: number,
    body: unknown,
    trusted: boolean
  ): Effect.Effect<S["Type"], UpstreamError> => {
    const exit = decode(body)
    return Exit.isSuccess(exit)
      ? Effect.succeed(exit.value)
      : Effect.fail(notACompletion(provider, status, problem(body, exit.cause), trusted))
  }
}

export const decodeOpenAiCompletion = decodeAnswer(OpenAiCompletion)
export const decodeAnthropicMessage = decodeAnswer(AnthropicMessage)
