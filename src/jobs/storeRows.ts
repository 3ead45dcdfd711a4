/**
 * The job store's rows as the domain sees them: column types, the JSON codecs of its questions
 * and results, and a job with its counts (store.ts).
 */
import { Schema } from "effect"
import { QuestionItem, ResultItem } from "../domain/Batch.ts"
import { finishedStatuses, type Job, type JobCounts, JobMetadata, JobStatus } from "../domain/Job.ts"
import { Lane, type ProviderBatch } from "../domain/Lane.ts"

export type Numeric = number | string | bigint

export interface JobRow {
  readonly id: string
  readonly owner: string
  readonly status: string
  readonly created_at: Numeric
  readonly started_at: Numeric | null
  readonly finished_at: Numeric | null
  readonly total: Numeric
  readonly metadata: string
  readonly error: string | null
  readonly lane: string
}

export interface CountRow {
  readonly job_id: string
  readonly status: string
  readonly n: Numeric
  readonly prompt_tokens: Numeric | null
  readonly completion_tokens: Numeric | null
  readonly cost_usd: Numeric | null
  /** Results whose cost is known. */
  readonly priced: Numeric
}

export const decodeStatus = Schema.decodeUnknownSync(JobStatus)
export const decodeLane = Schema.decodeUnknownSync(Lane)
export const decodeMetadata = Schema.decodeUnknownSync(Schema.fromJsonString(JobMetadata))
const QuestionJson = Schema.fromJsonString(QuestionItem)
export const encodeQuestion = Schema.encodeSync(QuestionJson)
export const decodeQuestion = Schema.decodeUnknownSync(QuestionJson)
const ResultJson = Schema.fromJsonString(ResultItem)
export const encodeResult = Schema.encodeSync(ResultJson)
const decodeResultItem = Schema.decodeUnknownSync(ResultItem)
/**
 * A result stored before `models_tried` and `cost_usd` existed reads as `[model]`, cost unknown;
 * one stored before `lane` existed came from the only lane there was, `sync`.
 */
export const decodeResult = (text: string) => {
  const stored: unknown = JSON.parse(text)
  if (typeof stored !== "object" || stored === null) return decodeResultItem(stored)
  const withLane = "lane" in stored ? stored : { lane: "sync", ...stored }
  return decodeResultItem(
    "models_tried" in withLane
      ? withLane
      : { models_tried: "model" in withLane ? [withLane.model] : [], cost_usd: null, ...withLane }
  )
}
export const decodeIndexes = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(Schema.Int)))
export const decodeChunks = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(Schema.Array(Schema.Int))))

export const iso = (millis: Numeric | null) => millis === null ? null : new Date(Number(millis)).toISOString()

export const emptyCounts = (total: number) => ({
  succeeded: 0,
  failed: 0,
  promptTokens: 0,
  completionTokens: 0,
  costUsd: 0 as number | null,
  total
})

export type Counts = ReturnType<typeof emptyCounts>

/** Jobs' counts kept in memory, newest kept: `settledCountsMax` × ~200 bytes. */
export const settledCountsMax = 1_000

/**
 * The counts of jobs that can no longer change: ended with a result for every question (a result
 * is written once and only deleted with its job). Summing a 50,000-result job's results took ~30 ms
 * of the event loop at every read of it; a finished job is summed once.
 */
export const settledCounts = () => {
  const kept = new Map<string, Counts>()
  return {
    get: (id: string) => kept.get(id),
    has: (id: string) => kept.has(id),
    offer: (row: JobRow, counts: Counts) => {
      if (!finishedStatuses.has(decodeStatus(row.status)) || counts.succeeded + counts.failed < counts.total) return
      kept.set(row.id, counts)
      if (kept.size > settledCountsMax) kept.delete(kept.keys().next().value!)
    },
    forget: (id: string) => kept.delete(id)
  }
}

export const toJob = (row: JobRow, counts: Counts, providerBatches: ReadonlyArray<ProviderBatch>): Job => {
  const jobCounts: JobCounts = {
    total: counts.total,
    succeeded: counts.succeeded,
    failed: counts.failed,
    pending: counts.total - counts.succeeded - counts.failed
  }
  const status = decodeStatus(row.status)
  return {
    id: row.id,
    status,
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    counts: jobCounts,
    usage: { prompt_tokens: counts.promptTokens, completion_tokens: counts.completionTokens },
    cost_usd: counts.costUsd,
    metadata: decodeMetadata(row.metadata),
    lane: decodeLane(row.lane),
    provider_batches: providerBatches,
    // The column holds why a failed job failed, or why an unfinished one is stalled.
    ...(row.error === null ? {} : status === "failed" ? { error: row.error } : { status_detail: row.error })
  }
}
