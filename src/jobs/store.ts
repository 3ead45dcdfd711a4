/**
 * The job store: jobs, their questions and their results in SQL (SQLite or PostgreSQL, through
 * effect/sql). Nothing here holds a whole job in memory: questions are read a chunk at a time,
 * results a page at a time, counts and usage are summed by the database.
 */
import { Array as Arr, Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { QuestionItem, ResultItem } from "../domain/Batch.ts"
import type { JobMetadata, JobStatus } from "../domain/Job.ts"
import type { Lane, ProviderBatch } from "../domain/Lane.ts"
import { recordJob } from "../observability/metrics.ts"
import { makeProviderBatches } from "./providerBatches.ts"
import {
  type CountRow,
  decodeChunks,
  decodeIndexes,
  decodeLane,
  decodeQuestion,
  decodeResult,
  decodeStatus,
  emptyCounts,
  encodeQuestion,
  settledCounts,
  encodeResult,
  type JobRow,
  type Numeric,
  toJob
} from "./storeRows.ts"

export interface NewJob {
  readonly id: string
  readonly owner: string
  readonly createdAt: number
  readonly metadata: JobMetadata
  readonly maxCostUsd: number | undefined
  readonly lane: Lane
  readonly chunkDependencies: ReadonlyArray<ReadonlyArray<number>>
}

export interface NewQuestion {
  readonly item: QuestionItem
  readonly chunk: number
  readonly dependsOn: ReadonlyArray<number>
}

export interface StoredQuestion {
  readonly item: QuestionItem
  readonly dependsOn: ReadonlyArray<number>
}

/** What a runner needs to know about a job before it runs a step of it. */
export interface JobState {
  readonly owner: string
  readonly status: JobStatus
  readonly lane: Lane
}

export interface StoredResult {
  /** Grows in the order results were committed (see `insertResult`). */
  readonly position: number
  readonly result: ResultItem
}

/** Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters. */
const insertBatch = 500

export const makeJobStore = Effect.gen(function*() {
  const sql = yield* SqlClient
  const batches = yield* makeProviderBatches

  const settled = settledCounts()
  const countsOf = Effect.fnUntraced(function*(rows: ReadonlyArray<JobRow>) {
    const byJob = new Map(rows.map((row) => [row.id, settled.get(row.id) ?? emptyCounts(Number(row.total))]))
    const toCount = rows.filter((row) => !settled.has(row.id))
    if (toCount.length === 0) return byJob
    const counted = yield* sql<CountRow>`SELECT job_id, status, COUNT(*) AS n,
        SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,
        SUM(cost_usd) AS cost_usd, COUNT(cost_usd) AS priced
      FROM llm_batch_results WHERE ${sql.in("job_id", toCount.map((row) => row.id))} GROUP BY job_id, status`
    for (const row of counted) {
      const counts = byJob.get(row.job_id)!
      if (row.status === "success") counts.succeeded = Number(row.n)
      else counts.failed += Number(row.n)
      counts.promptTokens += Number(row.prompt_tokens ?? 0)
      counts.completionTokens += Number(row.completion_tokens ?? 0)
      // One result of unknown cost makes the job's unknown: a partial sum is not its cost.
      counts.costUsd = counts.costUsd === null || Number(row.priced) < Number(row.n)
        ? null
        : counts.costUsd + Number(row.cost_usd ?? 0)
    }
    for (const row of toCount) settled.offer(row, byJob.get(row.id)!)
    return byJob
  })

  const none: ReadonlyArray<ProviderBatch> = []
  const jobsFrom = Effect.fnUntraced(function*(rows: ReadonlyArray<JobRow>) {
    const counts = yield* countsOf(rows)
    // A job on the sync lane has no provider batch: no query for it.
    const shown = yield* batches.shownFor(rows.filter((row) => row.lane !== "sync").map((row) => row.id))
    return rows.map((row) => toJob(row, counts.get(row.id)!, shown.get(row.id) ?? none))
  })

  /** The job and its questions, in one transaction: stored whole or not at all. */
  const insert = (job: NewJob, questions: ReadonlyArray<NewQuestion>) =>
    sql.withTransaction(Effect.gen(function*() {
      yield* sql`INSERT INTO llm_batch_jobs ${
        sql.insert({
          id: job.id,
          owner: job.owner,
          status: "queued",
          created_at: job.createdAt,
          total: questions.length,
          chunks: JSON.stringify(job.chunkDependencies),
          metadata: JSON.stringify(job.metadata),
          max_cost_usd: job.maxCostUsd ?? null,
          lane: job.lane
        })
      }`
      for (let start = 0; start < questions.length; start += insertBatch) {
        const rows = questions.slice(start, start + insertBatch).map((question, offset) => ({
          job_id: job.id,
          position: start + offset,
          idx: question.item.index,
          chunk: question.chunk,
          item: encodeQuestion(question.item),
          depends_on: JSON.stringify(question.dependsOn)
        }))
        if (Arr.isArrayNonEmpty(rows)) yield* sql`INSERT INTO llm_batch_questions ${sql.insert(rows)}`
        // SQLite writes on the event loop: between batches, other requests (/health, /ask) get their turn.
        yield* Effect.yieldNow
      }
    })).pipe(Effect.tap(() => Effect.sync(() => recordJob("queued"))))

  const find = Effect.fnUntraced(function*(id: string, owner: string) {
    const rows = yield* sql<JobRow>`SELECT * FROM llm_batch_jobs WHERE id = ${id} AND owner = ${owner}`
    const jobs = yield* jobsFrom(rows)
    return jobs[0]
  })

  const list = Effect.fnUntraced(function*(owner: string, limit: number) {
    const rows = yield* sql<JobRow>`SELECT * FROM llm_batch_jobs WHERE owner = ${owner}
      ORDER BY created_at DESC, id DESC LIMIT ${limit}`
    return yield* jobsFrom(rows)
  })

  const state = Effect.fnUntraced(function*(id: string) {
    const rows = yield* sql<{ readonly owner: string; readonly status: string; readonly lane: string }>`SELECT
        owner, status, lane FROM llm_batch_jobs WHERE id = ${id}`
    const row = rows[0]
    return row === undefined
      ? undefined
      : { owner: row.owner, status: decodeStatus(row.status), lane: decodeLane(row.lane) } satisfies JobState
  })

  /** The job's `max_cost_usd` and what its recorded results cost (known costs), or undefined without a budget. */
  const budget = Effect.fnUntraced(function*(id: string) {
    const rows = yield* sql<{ readonly max_cost_usd: Numeric | null; readonly spent: Numeric | null }>`SELECT
        max_cost_usd, (SELECT SUM(cost_usd) FROM llm_batch_results WHERE job_id = ${id}) AS spent
      FROM llm_batch_jobs WHERE id = ${id}`
    const row = rows[0]
    return row === undefined || row.max_cost_usd === null
      ? undefined
      : { maxCostUsd: Number(row.max_cost_usd), spentUsd: Number(row.spent ?? 0) }
  })

  /** queued → running; gives the chunks' dependencies (what the job's workflow schedules). */
  const start = Effect.fnUntraced(function*(id: string, now: number) {
    const started = yield* sql`UPDATE llm_batch_jobs SET status = 'running', started_at = ${now}
      WHERE id = ${id} AND status = 'queued' RETURNING id`
    if (started.length > 0) recordJob("running")
    const rows = yield* sql<{ readonly chunks: string }>`SELECT chunks FROM llm_batch_jobs WHERE id = ${id}`
    return rows[0] === undefined ? [] : decodeChunks(rows[0].chunks)
  })

  /** Moves the job from one of `from` to `to`; false when it was not in one of them. */
  const transition = Effect.fnUntraced(function*(
    id: string,
    from: ReadonlyArray<JobStatus>,
    to: JobStatus,
    options: { readonly finishedAt?: number; readonly error?: string } = {}
  ) {
    const changed = yield* sql`UPDATE llm_batch_jobs SET status = ${to},
        finished_at = ${options.finishedAt ?? null}, error = ${options.error ?? null}
      WHERE id = ${id} AND ${sql.in("status", from)} RETURNING id`
    if (changed.length > 0) recordJob(to)
    return changed.length > 0
  })

  /** Why a running job is stalled (its `status_detail`), or null once it is not. */
  const noteDetail = (id: string, detail: string | null) =>
    sql`UPDATE llm_batch_jobs SET error = ${detail} WHERE id = ${id} AND status = 'running'`.pipe(Effect.asVoid)

  const chunkQuestions = Effect.fnUntraced(function*(id: string, chunk: number) {
    const rows = yield* sql<{ readonly item: string; readonly depends_on: string }>`SELECT item, depends_on
      FROM llm_batch_questions WHERE job_id = ${id} AND chunk = ${chunk} ORDER BY position`
    return rows.map((row): StoredQuestion => ({ item: decodeQuestion(row.item), dependsOn: decodeIndexes(row.depends_on) }))
  })

  /** A page of the job's questions in the order they were submitted (what `sequential` follows), after `position`. */
  const questionsAfter = Effect.fnUntraced(function*(id: string, position: number, limit: number) {
    const rows = yield* sql<{ readonly position: Numeric; readonly item: string }>`SELECT position, item
      FROM llm_batch_questions WHERE job_id = ${id} AND position > ${position} ORDER BY position LIMIT ${limit}`
    return rows.map((row) => ({ position: Number(row.position), item: decodeQuestion(row.item) }))
  })

  /** The recorded results among these question indexes. */
  const resultsOf = Effect.fnUntraced(function*(id: string, indexes: ReadonlyArray<number>) {
    const found: Array<ResultItem> = []
    for (let start = 0; start < indexes.length; start += insertBatch) {
      const rows = yield* sql<{ readonly result: string }>`SELECT result FROM llm_batch_results
        WHERE job_id = ${id} AND ${sql.in("idx", indexes.slice(start, start + insertBatch))}`
      for (const row of rows) found.push(decodeResult(row.result))
    }
    return found
  })

  /**
   * Records `result` unless its question has one already: a result is written exactly once.
   *
   * Invariant every reader relies on: a job's result positions grow in commit order — a result
   * that commits later never gets a smaller position than one a reader may already see — so
   * paging by position never passes a result. PostgreSQL: the position is the job's `last_pos` + 1,
   * bumped by an UPDATE whose row lock is held until the commit, so the next writer waits for that
   * commit; one statement, so the lock is held for the server's work only. (Two writers racing on
   * one question can leave a gap, which readers step over.) SQLite has one writer: MAX + 1.
   */
  const insertResult = (job: string, result: ResultItem) => {
    const { cost_usd: costUsd, index: idx, status } = result
    const promptTokens = result.usage?.prompt_tokens ?? 0
    const completionTokens = result.usage?.completion_tokens ?? 0
    const encoded = encodeResult(result)
    return sql.onDialectOrElse({
      pg: () =>
        sql`WITH next AS (
            UPDATE llm_batch_jobs SET last_pos = last_pos + 1
            WHERE id = ${job} AND NOT EXISTS (SELECT 1 FROM llm_batch_results WHERE job_id = ${job} AND idx = ${idx})
            RETURNING last_pos
          )
          INSERT INTO llm_batch_results (job_id, idx, status, prompt_tokens, completion_tokens, cost_usd, result, pos)
          SELECT ${job}, CAST(${idx} AS BIGINT), ${status}, CAST(${promptTokens} AS INTEGER),
            CAST(${completionTokens} AS INTEGER), CAST(${costUsd} AS DOUBLE PRECISION), ${encoded}, last_pos FROM next
          ON CONFLICT (job_id, idx) DO NOTHING RETURNING idx`,
      orElse: () =>
        sql`INSERT INTO llm_batch_results
            (job_id, idx, status, prompt_tokens, completion_tokens, cost_usd, result, pos)
          VALUES (${job}, ${idx}, ${status}, ${promptTokens}, ${completionTokens}, ${costUsd}, ${encoded},
            (SELECT COALESCE(MAX(pos), 0) + 1 FROM llm_batch_results WHERE job_id = ${job}))
          ON CONFLICT (job_id, idx) DO NOTHING RETURNING idx`
    }).pipe(Effect.map((rows) => rows.length))
  }

  const record = (id: string, result: ResultItem) => Effect.asVoid(insertResult(id, result))

  /** Records each result (see `insertResult`) in one transaction; gives how many were new. */
  const recordAll = (id: string, results: ReadonlyArray<ResultItem>) =>
    sql.withTransaction(Effect.gen(function*() {
      let recorded = 0
      for (const result of results) recorded += yield* insertResult(id, result)
      return recorded
    }))

  /** Results after `position` in finishing (commit) order: keyset paging, each page costs the same. */
  const resultsAfter = Effect.fnUntraced(function*(id: string, position: number, limit: number) {
    const rows = yield* sql<{ readonly pos: Numeric; readonly result: string }>`SELECT pos, result
      FROM llm_batch_results WHERE job_id = ${id} AND pos > ${position} ORDER BY pos LIMIT ${limit}`
    return rows.map((row): StoredResult => ({ position: Number(row.pos), result: decodeResult(row.result) }))
  })

  /** How many results the job has stored. */
  const storedCount = Effect.fnUntraced(function*(id: string) {
    const rows = yield* sql<{ readonly stored: Numeric }>`SELECT COUNT(*) AS stored FROM llm_batch_results
      WHERE job_id = ${id}`
    return Number(rows[0]?.stored ?? 0)
  })

  /** Every question still without a result gets this one (cancel); gives how many there were. */
  const recordRemaining = Effect.fnUntraced(function*(id: string, resultFor: (item: QuestionItem) => ResultItem) {
    let position = -1
    let recorded = 0
    while (true) {
      const rows = yield* sql<{ readonly position: Numeric; readonly item: string }>`SELECT q.position, q.item
        FROM llm_batch_questions q LEFT JOIN llm_batch_results r ON r.job_id = q.job_id AND r.idx = q.idx
        WHERE q.job_id = ${id} AND q.position > ${position} AND r.idx IS NULL
        ORDER BY q.position LIMIT ${insertBatch}`
      if (rows.length === 0) return recorded
      position = Number(rows[rows.length - 1]!.position)
      recorded += yield* recordAll(id, rows.map((row) => resultFor(decodeQuestion(row.item))))
    }
  })

  /** Jobs the runner must look after at startup. */
  const unfinished = sql<{ readonly id: string; readonly status: string }>`SELECT id, status FROM llm_batch_jobs
    WHERE status IN ('queued', 'running', 'cancelling')`.pipe(
      Effect.map((rows) => rows.map((row) => ({ id: row.id, status: decodeStatus(row.status) })))
    )

  /** The jobs that ended before `cutoff`: their ids and chunk counts (retention.ts deletes each with `remove`). */
  const finishedBefore = Effect.fnUntraced(function*(cutoff: number) {
    const rows = yield* sql<{ readonly id: string; readonly chunks: string }>`SELECT id, chunks FROM llm_batch_jobs
      WHERE finished_at IS NOT NULL AND finished_at < ${cutoff}`
    return rows.map((row) => ({ id: row.id, chunks: decodeChunks(row.chunks).length }))
  })

  /** Deletes a job with its questions, results and provider batches, in one transaction. */
  const remove = (id: string) =>
    sql.withTransaction(Effect.gen(function*() {
      yield* sql`DELETE FROM llm_batch_provider_batches WHERE job_id = ${id}`
      yield* sql`DELETE FROM llm_batch_results WHERE job_id = ${id}`
      yield* sql`DELETE FROM llm_batch_questions WHERE job_id = ${id}`
      yield* sql`DELETE FROM llm_batch_jobs WHERE id = ${id}`
    })).pipe(Effect.ensuring(Effect.sync(() => settled.forget(id))))

  return {
    insert,
    find,
    list,
    state,
    budget,
    start,
    transition,
    noteDetail,
    chunkQuestions,
    questionsAfter,
    resultsOf,
    record,
    resultsAfter,
    storedCount,
    recordRemaining,
    unfinished,
    finishedBefore,
    remove,
    planProviderBatch: batches.planProviderBatch,
    providerBatchSubmitted: batches.providerBatchSubmitted,
    updateProviderBatch: batches.updateProviderBatch,
    providerBatches: batches.providerBatches
  }
})

export type JobStoreShape = Effect.Success<typeof makeJobStore>

/** Every method fails with `SqlError` only. */
export type JobStoreError = SqlError

export class JobStore extends Context.Service<JobStore, JobStoreShape>()("llm-batch/JobStore") {
  static readonly layer = Layer.effect(JobStore, makeJobStore)
}
