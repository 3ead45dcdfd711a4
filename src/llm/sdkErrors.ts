/** Turns whatever an SDK call threw into an `UpstreamError` that says provider, status and why. */
import { Predicate } from "effect"
import { UpstreamError } from "../domain/Errors.ts"
import { isTransientStatus, retryAfterMs } from "./retry.ts"

/** The shape both SDKs' `APIError` share. */
interface SdkApiError {
  readonly status: number | undefined
  readonly headers: Headers | undefined
  readonly message: string
}

export interface SdkErrorClasses {
  readonly APIError: abstract new(...args: never) => SdkApiError
  readonly APIConnectionError: abstract new(...args: never) => SdkApiError
  readonly APIConnectionTimeoutError: abstract new(...args: never) => SdkApiError
}

const maxMessageLength = 500

const shorten = (text: string) => text.length > maxMessageLength ? `${text.slice(0, maxMessageLength)}…` : text

/** `timeoutMs` is the SDK client's timeout (LLM_TIMEOUT_MS): the one deadline of an attempt. */
export const toUpstreamError = (provider: string, sdk: SdkErrorClasses, timeoutMs: number) =>
(cause: unknown): UpstreamError => {
  if (cause instanceof sdk.APIConnectionTimeoutError) {
    return new UpstreamError({
      provider,
      message: `${provider} did not answer within ${timeoutMs} ms (LLM_TIMEOUT_MS)`,
      retryable: true,
      attempts: 1
    })
  }
  if (cause instanceof sdk.APIConnectionError) {
    return new UpstreamError({
      provider,
      message: `connection to ${provider} failed: ${shorten(cause.message)}`,
      retryable: true,
      attempts: 1
    })
  }
  if (cause instanceof sdk.APIError && cause.status !== undefined) {
    const retryAfter = retryAfterMs(cause.headers)
    return new UpstreamError({
      provider,
      status: cause.status,
      message: `${provider} answered HTTP ${cause.status}: ${shorten(cause.message)}`,
      retryable: isTransientStatus(cause.status),
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      attempts: 1
    })
  }
  const detail = Predicate.isError(cause) ? cause.message : String(cause)
  return new UpstreamError({
    provider,
    message: `${provider} returned a response we could not read: ${shorten(detail)}`,
    retryable: false,
    attempts: 1
  })
}
