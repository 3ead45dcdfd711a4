/**
 * Durable batch jobs (repo_docs/contract.md, *Batch jobs*): the request, the job as every surface
 * shows it, and the job's errors. One Schema per shape, shared by HTTP, RPC, MCP and the CLI.
 */
import { Schema } from "effect"
import { MaxCostUsd, QuestionItem, ResultItem, Usage, withDefault } from "./Batch.ts"
import { defaultLane, Lane, ProviderBatch } from "./Lane.ts"

export const JobStatus = Schema.Literals(["queued", "running", "completed", "cancelling", "cancelled", "failed"])
  .annotate({
    description: "`completed`: every question has a result (success or error); `failed`: the job itself could not run"
  })
export type JobStatus = typeof JobStatus.Type

/** Statuses a job never leaves. */
export const finishedStatuses: ReadonlySet<JobStatus> = new Set(["completed", "cancelled", "failed"])

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const JobCounts = Schema.Struct({
  total: Count,
  succeeded: Count,
  failed: Count,
  pending: Count.annotate({ description: "Questions without a result yet" })
})
export type JobCounts = typeof JobCounts.Type

export const JobMetadata = Schema.Record(Schema.String, Schema.String).annotate({
  description: "The submitter's own labels, returned as given"
})
export type JobMetadata = typeof JobMetadata.Type

/** An ISO 8601 instant, e.g. `2026-11-30T12:00:00.000Z`. */
const Instant = Schema.String.annotate({ description: "ISO 8601" })

export const Job = Schema.Struct({
  id: Schema.String.annotate({ description: "`batch_…`" }),
  status: JobStatus,
  created_at: Instant,
  started_at: Schema.NullOr(Instant),
  finished_at: Schema.NullOr(Instant),
  counts: JobCounts,
  usage: Usage,
  cost_usd: Schema.NullOr(Schema.Finite).annotate({
    description: "USD summed over the results so far; null when any result's cost is unknown (see ResultItem.cost_usd)"
  }),
  metadata: JobMetadata,
  lane: Lane,
  provider_batches: Schema.Array(ProviderBatch).annotate({
    description: "The job's provider batches (lane `batch` or `auto`), in the order they were created; " +
      "empty on the `sync` lane"
  }),
  error: Schema.optionalKey(Schema.String.annotate({ description: "Only when `status` is `failed`: why" })),
  status_detail: Schema.optionalKey(Schema.String.annotate({
    description: "Only while a job is not progressing and will resume by itself: why (e.g. its results cannot be " +
      "stored: no question is sent until they can)"
  }))
}).annotate({ identifier: "Job" })
export type Job = typeof Job.Type

/** `POST /batches` as JSON (JSONL carries only the questions, one per line). */
export const JobRequest = Schema.Struct({
  questions: Schema.Array(QuestionItem).annotate({ description: "The questions of the job (up to MAX_JOB_SIZE)" }),
  metadata: Schema.optionalKey(JobMetadata),
  max_cost_usd: Schema.optionalKey(MaxCostUsd),
  lane: Lane.pipe(withDefault<typeof Lane>(defaultLane))
})
export type JobRequest = typeof JobRequest.Type

/** A page of a job's results in finishing order (MCP's `batch_results`). */
export const JobResultsPage = Schema.Struct({
  results: Schema.Array(ResultItem),
  next_offset: Schema.NullOr(Count).annotate({
    description: "Where the next page starts; null once every result of a finished job has been read"
  })
}).annotate({ identifier: "JobResultsPage" })
export type JobResultsPage = typeof JobResultsPage.Type

/** `GET /batches`: newest first. */
export const JobList = Schema.Struct({ data: Schema.Array(Job) }).annotate({ identifier: "JobList" })
export type JobList = typeof JobList.Type

/** No such job for this caller: unknown, deleted after JOB_RETENTION_HOURS, or another key's. */
export class JobNotFoundError extends Schema.TaggedError<JobNotFoundError>()("JobNotFoundError", {
  id: Schema.String
}) {
  override get message() {
    return `no batch job ${this.id}: it does not exist, was deleted after JOB_RETENTION_HOURS, or belongs to another API key`
  }
}
