/**
 * Decoding a provider's answer with a Schema of only the fields we read. The SDKs hand back
 * whatever the body held (an HTML page as a string, `{}`, `null`), typed as a completion; decoding
 * it turns anything else into that item's `UpstreamError` instead of a crash further on. Each
 * protocol's decode.ts holds its own schemas.
 */
import { Array as Arr, type Cause, Effect, Exit, Schema } from "effect"
import { Usage } from "../domain/Batch.ts"
import { formatCause } from "../domain/decode.ts"
import type { UpstreamError } from "../domain/Errors.ts"
import { errorDetails } from "./errorBody.ts"
import { notACompletion } from "./failures.ts"

export const FinishReason = Schema.optionalKey(Schema.NullOr(Schema.String))

/** An empty list is not an answer: we read its first element. */
export const NonEmpty = <S extends Schema.Top>(item: S) =>
  Schema.Array(item).pipe(Schema.refine(Arr.isReadonlyArrayNonEmpty, { expected: "a non-empty list" }))

/** OpenAI's usage has the domain's field names; tokens are non-negative integers. */
export const OptionalUsage = Schema.optionalKey(Schema.NullOr(Usage))

/** Why `body` is not a completion: the provider's own error message if it sent one, else the Schema's paths. */
const problem = (body: unknown, cause: Cause.Cause<Schema.SchemaError>): string => {
  // The SDKs hand back a body that is not JSON (an HTML page from a proxy) as a string.
  if (typeof body === "string") return "body: expected a JSON object, got text"
  const stated = typeof body === "object" && body !== null && "error" in body ? errorDetails(body) : undefined
  if (stated !== undefined && stated.message !== "") return `it reports an error: ${stated.message}`
  return formatCause(cause, "body")
}

/**
 * A decoder compiled once (this is the hot path): the provider's answer as `schema` says, then
 * `toCompletion` of it, or a non-retryable `UpstreamError` naming the provider, the status and
 * what was wrong. `trusted`: the base is the server's or allow-listed, so what the body says may be shown.
 */
export const decodeAnswer = <S extends Schema.ConstraintDecoder<unknown>, A>(
  schema: S,
  toCompletion: (answer: S["Type"]) => A
) => {
  const decode = Schema.decodeUnknownExit(schema)
  return (provider: string, status: number, body: unknown, trusted: boolean): Effect.Effect<A, UpstreamError> => {
    const exit = decode(body)
    return Exit.isSuccess(exit)
      ? Effect.succeed(toCompletion(exit.value))
      : Effect.fail(notACompletion(provider, status, problem(body, exit.cause), trusted))
  }
}
