/**
 * Where a job's calls go when its lane is `batch` or `auto`: the job's run provides a route (the
 * batch lane, src/jobs/lane/) and `LlmClient` sends the calls it takes as lines of provider
 * batches instead of one by one; everything around the call — cache, repairs, fallbacks, cost —
 * stays the same. Without a route (every other run) calls go the sync way.
 */
import { Context, type Effect } from "effect"
import type { UpstreamError } from "../domain/Errors.ts"
import type { Completion, CompletionRequest, Target } from "./types.ts"

/** Which line of which question: with the job, it names the line (`custom_id`). */
export interface LineKey {
  readonly index: number
  /** The question's upstream attempts so far, this one included: the same on a replay. */
  readonly attempt: number
}

export interface LaneRouteShape {
  /** Whether this call goes in a provider batch (a repair or a provider without a batch API goes the sync way). */
  readonly takes: (request: CompletionRequest, target: Target) => boolean
  readonly complete: (request: CompletionRequest, target: Target, line: LineKey) => Effect.Effect<Completion, UpstreamError>
}

export const LaneRoute = Context.Reference<LaneRouteShape | undefined>("llm-batch/LaneRoute", {
  defaultValue: () => undefined
})
