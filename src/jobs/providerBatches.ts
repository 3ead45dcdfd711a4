/**
 * The provider batches of a job's batch lane in the job store (table `llm_batch_provider_batches`,
 * migration `5_add_provider_batches`): each is stored before the provider is called, its provider
 * id as soon as the provider accepts it, and every change of state after, so that a restarted or
 * another replica polls it instead of sending it again. A finished provider batch never changes.
 */
import { Array as Arr, Clock, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import {
  finishedProviderBatchStatuses,
  type ProviderBatch,
  ProviderBatchStatus
} from "../domain/Lane.ts"
import type { LineKey } from "../llm/laneRoute.ts"
import { recordProviderBatchState } from "../observability/metrics.ts"
import type { Numeric } from "./storeRows.ts"

/** What the runner stores before it sends a provider batch. */
export interface PlannedProviderBatch {
  readonly provider: string
  readonly model?: string | undefined
  readonly baseUrl?: string | undefined
  /** The dependency wave, from 1. */
  readonly wave: number
  readonly lines: ReadonlyArray<LineKey>
}

/** A provider batch as stored, with its lines (`ProviderBatch` is what the surfaces show of it). */
export interface StoredProviderBatch {
  /** 1, 2, 3, … in the order the job's provider batches were planned. */
  readonly seq: number
  readonly provider: string
  readonly model: string | null
  readonly baseUrl: string | null
  readonly wave: number
  readonly status: ProviderBatchStatus
  /** The provider's id; null until it accepted the batch. */
  readonly batchId: string | null
  readonly requests: number
  readonly succeeded: number
  readonly failed: number
  readonly error: string | null
  readonly lines: ReadonlyArray<LineKey>
  readonly createdAt: number
  readonly updatedAt: number
}

/** A provider batch's progress, as its provider reports it. */
export interface ProviderBatchProgress {
  readonly status: ProviderBatchStatus
  readonly succeeded: number
  readonly failed: number
  readonly error?: string | undefined
}

interface Row {
  readonly job_id: string
  readonly seq: Numeric
  readonly provider: string
  readonly model: string | null
  readonly base_url: string | null
  readonly wave: Numeric
  readonly status: string
  readonly batch_id: string | null
  readonly requests: Numeric
  readonly succeeded: Numeric
  readonly failed: Numeric
  readonly error: string | null
  readonly created_at: Numeric
  readonly updated_at: Numeric
}

const decodeStatus = Schema.decodeUnknownSync(ProviderBatchStatus)
// Pairs, not objects: a 50,000-line batch's row holds ~0.6 MB instead of ~1.4 MB.
const LinesJson = Schema.fromJsonString(Schema.Array(Schema.Tuple([Schema.Int, Schema.Int])))
const encodeLines = Schema.encodeSync(LinesJson)
const decodeLines = Schema.decodeUnknownSync(LinesJson)

/** What every surface shows of a provider batch (`Job.provider_batches`). */
const toProviderBatch = (row: Row): ProviderBatch => ({
  provider: row.provider,
  id: row.batch_id,
  wave: Number(row.wave),
  status: decodeStatus(row.status),
  requests: Number(row.requests),
  succeeded: Number(row.succeeded),
  failed: Number(row.failed),
  ...(row.error === null ? {} : { error: row.error })
})

const finished = [...finishedProviderBatchStatuses]

/** Job ids per query when reading the batches of a page of jobs: well under the bound-parameter limits. */
const jobsPerQuery = 500

export const makeProviderBatches = Effect.gen(function*() {
  const sql = yield* SqlClient

  /**
   * Stores a provider batch about to be sent, status `submitting`; gives its `seq`. Replicas
   * planning for one job at once each get their own: the key (job, seq) is taken once, and a
   * writer that lost it takes the next.
   */
  const planProviderBatch = Effect.fnUntraced(function*(jobId: string, planned: PlannedProviderBatch) {
    const now = yield* Clock.currentTimeMillis
    const customIds = encodeLines(planned.lines.map((line) => [line.index, line.attempt] as const))
    while (true) {
      const last = yield* sql<{ readonly seq: Numeric | null }>`SELECT MAX(seq) AS seq
        FROM llm_batch_provider_batches WHERE job_id = ${jobId}`
      const seq = Number(last[0]?.seq ?? 0) + 1
      const inserted = yield* sql`INSERT INTO llm_batch_provider_batches ${
        sql.insert({
          job_id: jobId,
          seq,
          provider: planned.provider,
          model: planned.model ?? null,
          base_url: planned.baseUrl ?? null,
          wave: planned.wave,
          status: "submitting",
          batch_id: null,
          requests: planned.lines.length,
          succeeded: 0,
          failed: 0,
          error: null,
          custom_ids: customIds,
          created_at: now,
          updated_at: now
        })
      } ON CONFLICT (job_id, seq) DO NOTHING RETURNING seq`
      if (inserted.length > 0) {
        recordProviderBatchState(planned.provider, "submitting")
        return seq
      }
    }
  })

  /**
   * The provider accepted the batch: its id and first status. False when the batch was no longer
   * `submitting` (already accepted, or failed meanwhile): nothing changed.
   */
  const providerBatchSubmitted = Effect.fnUntraced(function*(
    jobId: string,
    seq: number,
    batchId: string,
    status: ProviderBatchStatus
  ) {
    const now = yield* Clock.currentTimeMillis
    const rows = yield* sql<{ readonly provider: string }>`UPDATE llm_batch_provider_batches
      SET batch_id = ${batchId}, status = ${status}, updated_at = ${now}
      WHERE job_id = ${jobId} AND seq = ${seq} AND status = 'submitting' RETURNING provider`
    if (rows[0] !== undefined && status !== "submitting") recordProviderBatchState(rows[0].provider, status)
    return rows.length > 0
  })

  /**
   * The batch's state and counts as the provider reports them. False when there is no such batch or
   * it had finished (`ended`, `failed`, `expired`, `cancelled`: it never changes after). A change of
   * status is counted once, however many replicas write it: the row changes only for the first.
   */
  const updateProviderBatch = Effect.fnUntraced(function*(jobId: string, seq: number, progress: ProviderBatchProgress) {
    const now = yield* Clock.currentTimeMillis
    const set = sql`status = ${progress.status}, succeeded = ${progress.succeeded}, failed = ${progress.failed},
      error = ${progress.error ?? null}, updated_at = ${now}`
    const where = sql`job_id = ${jobId} AND seq = ${seq} AND NOT ${sql.in("status", finished)}`
    const entered = yield* sql<{ readonly provider: string }>`UPDATE llm_batch_provider_batches SET ${set}
      WHERE ${where} AND status <> ${progress.status} RETURNING provider`
    if (entered[0] !== undefined) {
      recordProviderBatchState(entered[0].provider, progress.status)
      return true
    }
    const same = yield* sql`UPDATE llm_batch_provider_batches SET ${set}
      WHERE ${where} AND status = ${progress.status} RETURNING seq`
    return same.length > 0
  })

  /** The job's provider batches with their lines, in `seq` order (what the runner resumes from). */
  const providerBatches = Effect.fnUntraced(function*(jobId: string) {
    const rows = yield* sql<Row & { readonly custom_ids: string }>`SELECT * FROM llm_batch_provider_batches
      WHERE job_id = ${jobId} ORDER BY seq`
    return rows.map((row): StoredProviderBatch => ({
      seq: Number(row.seq),
      provider: row.provider,
      model: row.model,
      baseUrl: row.base_url,
      wave: Number(row.wave),
      status: decodeStatus(row.status),
      batchId: row.batch_id,
      requests: Number(row.requests),
      succeeded: Number(row.succeeded),
      failed: Number(row.failed),
      error: row.error,
      lines: decodeLines(row.custom_ids).map(([index, attempt]) => ({ index, attempt })),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at)
    }))
  })

  /** What the surfaces show of these jobs' provider batches (their lines left unread), by job, in `seq` order. */
  const shownFor = Effect.fnUntraced(function*(jobIds: ReadonlyArray<string>) {
    const byJob = new Map<string, Array<ProviderBatch>>()
    for (let start = 0; start < jobIds.length; start += jobsPerQuery) {
      const ids = jobIds.slice(start, start + jobsPerQuery)
      if (!Arr.isArrayNonEmpty(ids)) continue
      const rows = yield* sql<Row>`SELECT job_id, seq, provider, model, base_url, wave, status, batch_id, requests,
          succeeded, failed, error, created_at, updated_at
        FROM llm_batch_provider_batches WHERE ${sql.in("job_id", ids)} ORDER BY job_id, seq`
      for (const row of rows) {
        const list = byJob.get(row.job_id) ?? []
        list.push(toProviderBatch(row))
        byJob.set(row.job_id, list)
      }
    }
    return byJob
  })

  return { planProviderBatch, providerBatchSubmitted, updateProviderBatch, providerBatches, shownFor }
})
