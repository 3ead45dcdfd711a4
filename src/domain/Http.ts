/**
 * The HTTP answers other than a batch's: health, the response model listing and the error body.
 * Each error carries its HTTP status; all of them are `{"error": "…"}` on the wire.
 */
import { ErrorReporter, Schema } from "effect"

/** What every 4xx/5xx the service sends looks like. */
export const ErrorBody = Schema.Struct({
  error: Schema.String.annotate({ description: "What went wrong and what to do about it" })
}).annotate({ identifier: "ErrorBody" })
export type ErrorBody = typeof ErrorBody.Type

/** A request the caller should fix: not JSON, not UTF-8, not a valid batch (the message names the field). */
export class InvalidRequest extends Schema.Error<InvalidRequest>("InvalidRequest")(ErrorBody, {
  httpApiStatus: 400,
  description: "The body is not JSON, not UTF-8, or not a valid batch; `error` names the field path"
}) {
  // A caller's mistake, not the service's: nothing to report.
  override readonly [ErrorReporter.ignore] = true
}

export class Unauthorized extends Schema.Error<Unauthorized>("Unauthorized")(ErrorBody, {
  httpApiStatus: 401,
  description: "API_KEYS is set and the request has no valid `Authorization: Bearer <key>`"
}) {
  override readonly [ErrorReporter.ignore] = true
}

/** A batch job this caller cannot see: unknown, deleted after JOB_RETENTION_HOURS, or another key's. */
export class NotFound extends Schema.Error<NotFound>("NotFound")(ErrorBody, {
  httpApiStatus: 404,
  description: "No such batch job for this API key (unknown, deleted after JOB_RETENTION_HOURS, or another key's)"
}) {
  override readonly [ErrorReporter.ignore] = true
}

export class PayloadTooLarge extends Schema.Error<PayloadTooLarge>("PayloadTooLarge")(ErrorBody, {
  httpApiStatus: 413,
  description: "The body is larger than MAX_BODY_BYTES (MAX_JOB_BODY_BYTES for POST /batches), or holds more than MAX_JSON_VALUES JSON values"
}) {
  override readonly [ErrorReporter.ignore] = true
}

export class UnsupportedMediaType extends Schema.Error<UnsupportedMediaType>("UnsupportedMediaType")(ErrorBody, {
  httpApiStatus: 415,
  description: "The body's content type is not JSON (nor JSONL, for POST /batches)"
}) {
  override readonly [ErrorReporter.ignore] = true
}

/** Documented for every route: a defect is logged and answered with this, never with its details. */
export class InternalError extends Schema.Error<InternalError>("InternalError")(ErrorBody, {
  httpApiStatus: 500,
  description: "Unexpected; the service log has the details"
}) {}

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const CacheHealth = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("memory"),
    entries: Count,
    bytes: Count,
    max_entries: Count,
    max_bytes: Count,
    ttl_seconds: Count
  }),
  Schema.Struct({
    kind: Schema.Literal("redis"),
    target: Schema.String.annotate({ description: "`redis://host:port/db`, never the credentials" }),
    reachable: Schema.Boolean,
    ttl_seconds: Count,
    warning: Schema.optionalKey(Schema.String)
  })
]).annotate({ description: "Which cache is active; a Redis outage is a warning, not ill health" })
export type CacheHealth = typeof CacheHealth.Type

/** `GET /health`: without a valid key (when API_KEYS is set) only `status`. */
export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  auth: Schema.optionalKey(Schema.Literals(["on", "off"]).annotate({ description: "Whether API_KEYS is set" })),
  cache: Schema.optionalKey(CacheHealth)
}).annotate({ identifier: "Health" })
export type Health = typeof Health.Type

/** GET /metrics: every series of docs/observability.md, as Prometheus scrapes it. */
export const MetricsText = Schema.String.annotate({
  description: "Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`)"
})

export const ResponseModelInfo = Schema.Struct({
  name: Schema.String.annotate({ description: "What `response_model` names" }),
  description: Schema.String,
  json_schema: Schema.Record(Schema.String, Schema.Unknown).annotate({
    description: "Self-contained JSON Schema (draft 2020-12) the answer must match"
  })
})

/** `GET /models/response`: the registered response models. */
export const ResponseModelListing = Schema.Struct({
  models: Schema.Array(ResponseModelInfo)
}).annotate({ identifier: "ResponseModelListing" })
export type ResponseModelListing = typeof ResponseModelListing.Type
