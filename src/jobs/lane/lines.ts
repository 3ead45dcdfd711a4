/**
 * A provider batch's line, both ways: the `custom_id` that names it (job, question, attempt), and
 * its result as the sync lane would have had it — the protocol's own decode for an answer, its
 * classify for an error, so retries and fallbacks treat both lanes alike.
 */
import { Effect } from "effect"
import { UpstreamError } from "../../domain/Errors.ts"
import type { ProviderName } from "../../domain/providers.ts"
import { adapterOf } from "../../llm/adapters.ts"
import type { LineResult } from "../../llm/batchApi.ts"
import { errorDetails } from "../../llm/errorBody.ts"
import type { LineKey } from "../../llm/laneRoute.ts"
import type { Completion } from "../../llm/types.ts"

/** `<job>-<index>-<attempt>`: within Anthropic's 64 characters of `[a-zA-Z0-9_-]` for our job ids. */
export const customIdOf = (jobId: string, line: LineKey): string => `${jobId}-${line.index}-${line.attempt}`

export const failure = (provider: string, message: string, reason: UpstreamError["reason"], status?: number) =>
  new UpstreamError({ provider, message, reason, attempts: 1, ...(status === undefined ? {} : { status }) })

/** What a line's result means for its question; `undefined`: the provider's results left it out. */
export const lineOutcome = (
  provider: ProviderName,
  batchId: string,
  result: LineResult | undefined
): Effect.Effect<Completion, UpstreamError> => {
  const adapter = adapterOf(provider)
  if (result === undefined) {
    // Asked again in the next provider batch (a transient failure).
    return Effect.fail(failure(provider, `${provider} batch ${batchId} returned no result for this request`, "server_error"))
  }
  switch (result._tag) {
    case "Answered":
      return adapter.decode(provider, 200, result.body, true)
    case "NotRun":
      return Effect.fail(failure(
        provider,
        result.why === "expired"
          ? `${provider} batch ${batchId} expired before this request ran (the provider's 24 h window)`
          : `${provider} batch ${batchId} was cancelled before this request ran`,
        result.why === "expired" ? "timeout" : "server_error"
      ))
    case "Failed": {
      const { parameter, reason } = adapter.classify(result.status, result.body)
      const said = errorDetails(result.body)?.message
      const error = new UpstreamError({
        provider,
        status: result.status,
        message: `${provider} answered HTTP ${result.status} in batch ${batchId}${said === undefined ? "" : `: ${said}`}`,
        reason,
        attempts: 1,
        ...(parameter === undefined ? {} : { parameter })
      })
      return Effect.fail(error)
    }
  }
}

/** Every line of a batch the provider refused as a whole, or one whose id was lost, fails with this. */
export const wholeBatchFailure = (provider: string, message: string, transient: boolean) =>
  failure(provider, message, transient ? "connection" : "bad_request")

/**
 * Why a batch whose id was never stored is given up: `when` it was being sent, and its provider
 * has no batch tagged with it (Anthropic keeps no tag at all).
 */
export const untaggedBatch = (provider: string, when: string, runs: "runs" | "ran") =>
  `${when} and ${provider} has no batch tagged with it` +
  (provider === "anthropic" ? ` (Anthropic keeps no tag: if it had accepted it, it ${runs} unobserved)` : "")
