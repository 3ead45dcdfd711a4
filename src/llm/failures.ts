/**
 * Turns whatever an SDK call threw into an `UpstreamError`: its reason classified by the protocol
 * from the raw status and body, and, separately, a message for the caller that carries the
 * upstream's own words only when the base is trusted.
 */
import { Predicate } from "effect"
import { UpstreamError } from "../domain/Errors.ts"
import type { ProviderAdapter } from "./adapter.ts"
import { InternalAddressError } from "./addressGuard.ts"
import { ResponseTooLargeError } from "./fetch.ts"
import { retryAfterMs } from "./retry.ts"
import type { Target } from "./types.ts"

/** The shape both SDKs' `APIError` share: `error` is the parsed body (or its text). */
interface SdkApiError {
  readonly status: number | undefined
  readonly headers: Headers | undefined
  readonly message: string
  readonly error?: unknown
}

export interface SdkErrorClasses {
  readonly APIError: abstract new(...args: never) => SdkApiError
  readonly APIConnectionError: abstract new(...args: never) => SdkApiError
  readonly APIConnectionTimeoutError: abstract new(...args: never) => SdkApiError
}

const maxMessageLength = 500

const shorten = (text: string) => text.length > maxMessageLength ? `${text.slice(0, maxMessageLength)}…` : text

/**
 * What we say, then what the upstream's body or error said. The latter only for a base the server
 * trusts: a caller's own base could be an internal service whose answers they want to read.
 */
const withDetail = (headline: string, detail: string, trusted: boolean) =>
  trusted
    ? `${headline}: ${shorten(detail)}`
    : `${headline} (details from a base URL outside ALLOWED_API_BASES are not shown)`

/** A 2xx answer whose body is not the completion we asked for (see decodeAnswer.ts). */
export const notACompletion = (provider: string, status: number, detail: string, trusted: boolean): UpstreamError =>
  new UpstreamError({
    provider,
    status,
    message: withDetail(
      `${provider} answered HTTP ${status} with a body that is not a chat completion`,
      detail,
      trusted
    ),
    reason: "invalid_response",
    attempts: 1
  })

/** The SDKs wrap a rejected fetch as the `cause` of their connection error (or rethrow it as is). */
const thrownByFetch = <E>(cause: unknown, type: abstract new(...args: never) => E): E | undefined =>
  cause instanceof type
    ? cause
    : Predicate.hasProperty(cause, "cause") && cause.cause instanceof type
    ? cause.cause
    : undefined

/**
 * `target.timeoutMs` is the SDK client's timeout (LLM_TIMEOUT_MS): the one deadline of an attempt;
 * `target.trusted` says whether what the upstream said may be shown.
 */
export const toUpstreamError = (
  provider: string,
  sdk: SdkErrorClasses,
  classify: ProviderAdapter["classify"],
  target: Pick<Target, "timeoutMs" | "trusted" | "baseUrl" | "baseSetting">
) =>
(cause: unknown): UpstreamError => {
  const { timeoutMs, trusted } = target
  const refused = thrownByFetch(cause, InternalAddressError)
  if (refused !== undefined) {
    // Not retried: asking again reaches the same address.
    return new UpstreamError({
      provider,
      message: `${provider} was not called: ${refused.message}`,
      reason: "blocked_address",
      attempts: 1
    })
  }
  const oversized = thrownByFetch(cause, ResponseTooLargeError)
  if (oversized !== undefined) {
    // Not retried: the same question would most likely get the same answer.
    return new UpstreamError({
      provider,
      status: oversized.status,
      message: `${provider}'s answer is larger than ${oversized.limit} bytes (MAX_UPSTREAM_RESPONSE_BYTES): ` +
        "reading stopped and the connection was dropped; ask for a shorter answer or raise the limit",
      reason: "response_too_large",
      attempts: 1
    })
  }
  if (cause instanceof sdk.APIConnectionTimeoutError) {
    return new UpstreamError({
      provider,
      message: `${provider} did not answer within ${timeoutMs} ms (LLM_TIMEOUT_MS)`,
      reason: "timeout",
      attempts: 1
    })
  }
  if (cause instanceof sdk.APIConnectionError) {
    return new UpstreamError({
      provider,
      // Where it tried and what set that: a wrong or unreachable base URL is the usual cause.
      message: withDetail(
        `connection to ${provider} at ${target.baseUrl} (${target.baseSetting}) failed`,
        cause.message,
        trusted
      ),
      reason: "connection",
      attempts: 1
    })
  }
  if (cause instanceof sdk.APIError && cause.status !== undefined) {
    const retryAfter = retryAfterMs(cause.headers)
    const { parameter, reason } = classify(cause.status, cause.error)
    return new UpstreamError({
      provider,
      status: cause.status,
      message: withDetail(`${provider} answered HTTP ${cause.status}`, cause.message, trusted),
      reason,
      ...(parameter === undefined ? {} : { parameter }),
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      attempts: 1
    })
  }
  const detail = Predicate.isError(cause) ? cause.message : String(cause)
  return new UpstreamError({
    provider,
    // A 2xx body the SDK could not parse (a JSON content type over HTML, a truncated body) lands here.
    message: withDetail(
      cause instanceof SyntaxError
        ? `${provider} answered with a body that is not valid JSON`
        : `${provider} returned a response we could not read`,
      detail,
      trusted
    ),
    reason: "invalid_response",
    attempts: 1
  })
}
