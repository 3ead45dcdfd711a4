/** Tagged errors. Each message says what failed and what the user can do about it. */
import { Cause, Schema } from "effect"

/** The request as a whole is unusable (HTTP 400); `message` names the field path. */
export class InvalidBatchError extends Schema.TaggedError<InvalidBatchError>()("InvalidBatchError", {
  message: Schema.String
}) {}

/**
 * Why a provider call failed, decided once where the call was answered: from the raw status and
 * body by the protocol's `classify` (src/llm/<protocol>/classify.ts), or from the transport's
 * own failure. Retries, refusal retries, fallbacks and metrics switch on it, never on message text.
 */
export const FailureReason = Schema.Literals([
  "rate_limited",
  "quota_exceeded",
  "overloaded",
  "server_error",
  "timeout",
  "connection",
  "context_length",
  "refused_parameter",
  "auth",
  "not_found",
  "bad_request",
  "invalid_response",
  "response_too_large",
  "blocked_address",
  "over_budget"
])
export type FailureReason = typeof FailureReason.Type

/** The optional request parameters a provider may refuse (the call is then made again without it). */
export const RefusableParameter = Schema.Literals(["logprobs", "response_format"])
export type RefusableParameter = typeof RefusableParameter.Type

/** A provider call failed after the transport retries gave up (or was not retryable). */
export class UpstreamError extends Schema.TaggedError<UpstreamError>()("UpstreamError", {
  provider: Schema.String,
  status: Schema.optional(Schema.Number),
  /** What the caller is shown: the upstream's own words only from a trusted base (src/llm/failures.ts). */
  message: Schema.String,
  reason: FailureReason,
  /** With `refused_parameter`: which one. */
  parameter: Schema.optional(RefusableParameter),
  /** Milliseconds the provider asked us to wait (Retry-After / retry-after-ms). */
  retryAfterMs: Schema.optional(Schema.Number),
  /** Upstream calls made, including this failed one. */
  attempts: Schema.Number
}) {}

export class MissingApiKeyError extends Schema.TaggedError<MissingApiKeyError>()("MissingApiKeyError", {
  provider: Schema.String,
  variable: Schema.String
}) {
  override get message() {
    return `No API key for provider '${this.provider}': set ${this.variable} in the service's environment`
  }
}

export class UnknownProviderError extends Schema.TaggedError<UnknownProviderError>()("UnknownProviderError", {
  model: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `Cannot tell the provider of model '${this.model}': write it as provider/model, ` +
      `with provider one of ${this.known.join(", ")}`
  }
}

export type LlmError = UpstreamError | MissingApiKeyError | UnknownProviderError

/**
 * The answer never matched the expected shape, even after the allowed repairs. `message` is the
 * last decode error (path and expectation); what the question spent is in its tally (answer.ts).
 */
export class AnswerValidationError extends Schema.TaggedError<AnswerValidationError>()("AnswerValidationError", {
  message: Schema.String,
  /** The model's last raw answer, so the user can see what it said. */
  lastResponse: Schema.String,
  /** Why that answer ended (`length` / `max_tokens`: it was cut off). */
  finishReason: Schema.NullOr(Schema.String)
}) {}

/**
 * A failure of the service itself (a defect) whose message is safe to show callers and says what
 * the operator must do, e.g. a damaged job store. Surfaces answer it as a 500 with this message
 * instead of the generic one; `cause` (the original failure) goes to the log only.
 */
export class ServiceFault extends Schema.TaggedError<ServiceFault>()("ServiceFault", {
  message: Schema.String,
  cause: Schema.optional(Schema.Unknown)
}) {}

/** A cause's failures and defects (not its interruptions), in order. */
export const errorsIn = (cause: Cause.Cause<unknown>): ReadonlyArray<unknown> =>
  cause.reasons.flatMap((reason) =>
    Cause.isFailReason(reason) ? [reason.error] : Cause.isDieReason(reason) ? [reason.defect] : []
  )

/** The first `ServiceFault` among a cause's failures and defects, if any. */
export const serviceFaultIn = (cause: Cause.Cause<unknown>): ServiceFault | undefined =>
  errorsIn(cause).find((error): error is ServiceFault => error instanceof ServiceFault)
