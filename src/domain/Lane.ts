/**
 * The lanes a job's questions run on (repo_docs/contract.md, *Batch jobs*, the provider batch
 * lane) and the provider batches of the batch lane, as every surface shows them. One Schema per
 * shape, shared by HTTP, RPC, MCP, the CLI and the console.
 */
import { Schema } from "effect"

export const Lane = Schema.Literals(["sync", "batch", "auto"]).annotate({
  description: "`sync`: each question is one call of the provider's ordinary API; `batch`: the questions go " +
    "through the providers' batch APIs (OpenAI Batch API, Anthropic Message Batches: half price, hours of " +
    "latency); `auto`: `batch` for the questions whose provider has a batch API, `sync` for the rest"
})
export type Lane = typeof Lane.Type

/** A job's lane when its request names none: today's behaviour. */
export const defaultLane: Lane = "sync"

/** The lane a question's result came from. */
export const ResultLane = Schema.Literals(["sync", "batch"]).annotate({
  description: "How the question was answered: `sync` (the provider's ordinary API) or `batch` (a provider batch)"
})
export type ResultLane = typeof ResultLane.Type

export const ProviderBatchStatus = Schema.Literals([
  "submitting",
  "validating",
  "in_progress",
  "finalizing",
  "ended",
  "failed",
  "expired",
  "cancelling",
  "cancelled"
]).annotate({
  description: "`submitting`: stored, not yet accepted by the provider; `validating`, `in_progress`, `finalizing`: " +
    "the provider's; `ended`: every line has its result; `failed`, `expired`, `cancelled`: ended without them all"
})
export type ProviderBatchStatus = typeof ProviderBatchStatus.Type

/** Statuses a provider batch never leaves. */
export const finishedProviderBatchStatuses: ReadonlySet<ProviderBatchStatus> = new Set([
  "ended",
  "failed",
  "expired",
  "cancelled"
])

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const ProviderBatch = Schema.Struct({
  provider: Schema.String.annotate({ description: "The provider the batch was sent to, e.g. `openai`, `anthropic`" }),
  id: Schema.NullOr(Schema.String).annotate({
    description: "The provider's id of the batch; null until the provider has accepted it"
  }),
  wave: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)).annotate({
    description: "The dependency wave it belongs to: 1 holds questions that depend on none, 2 those that depend " +
      "on wave 1's answers, …"
  }),
  status: ProviderBatchStatus,
  requests: Count.annotate({ description: "Lines (questions) in the batch" }),
  succeeded: Count.annotate({ description: "Lines the provider answered" }),
  failed: Count.annotate({ description: "Lines the provider errored or expired" }),
  error: Schema.optionalKey(Schema.String.annotate({ description: "Why the batch failed, when it did" }))
}).annotate({ identifier: "ProviderBatch" })
export type ProviderBatch = typeof ProviderBatch.Type
