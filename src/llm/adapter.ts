/**
 * What a wire protocol (src/llm/openai-compatible, src/llm/anthropic) provides: pure functions at
 * the boundary — decode an answer, classify a failure, recognise a cut-off answer — the transport
 * that makes one call through the protocol's SDK (encoding the request with the folder's own
 * `encode.ts`), and its provider batch API. Registered by protocol in adapters.ts.
 */
import type { Effect } from "effect"
import type { FailureReason, RefusableParameter, UpstreamError } from "../domain/Errors.ts"
import type { BatchApi } from "./batchApi.ts"
import type { SdkFetchOptions } from "./fetch.ts"
import type { Completion, CompletionRequest, Target } from "./types.ts"

/** Why an answered call failed, as `classify` decides it. */
export interface Classified {
  readonly reason: FailureReason
  readonly parameter?: RefusableParameter | undefined
}

/** One call: the completion, or an `UpstreamError` already classified and redacted for the caller. */
export type Transport = (request: CompletionRequest, target: Target) => Effect.Effect<Completion, UpstreamError>

export interface ProviderAdapter {
  /** An answer body as a `Completion`, or the item's `invalid_response` error (the sync and batch lanes alike). */
  readonly decode: (provider: string, status: number, body: unknown, trusted: boolean) => Effect.Effect<Completion, UpstreamError>
  /** Why a call answered with this HTTP status and raw (not yet redacted) body failed. */
  readonly classify: (status: number, body: unknown) => Classified
  /** Whether a finish reason says the answer was cut off at `max_tokens`. */
  readonly isCutOff: (finishReason: string) => boolean
  readonly makeTransport: (fetchOptions: SdkFetchOptions) => Transport
  /** The provider batch API, for providers whose capabilities say they have it. */
  readonly makeBatchApi: (fetchOptions: SdkFetchOptions) => BatchApi
}

/** The reason an HTTP status gives on its own, when the body says nothing more specific. */
export const reasonOfStatus = (status: number): FailureReason =>
  status === 401 || status === 403
    ? "auth"
    : status === 404
    ? "not_found"
    : status === 408
    ? "timeout"
    : status === 429
    ? "rate_limited"
    : status === 529
    ? "overloaded"
    : status === 409 || status >= 500
    ? "server_error"
    : status >= 400
    ? "bad_request"
    : "invalid_response"
