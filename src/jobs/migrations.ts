/**
 * The job store's tables, created by effect/sql's `Migrator` on SQLite and PostgreSQL alike (the
 * cluster creates its own `cluster_*` tables next to them). Times are epoch milliseconds; JSON
 * columns hold what the domain schemas encode.
 */
import { Effect } from "effect"
import * as Migrator from "effect/sql/Migrator"
import { SqlClient } from "effect/sql/SqlClient"

const createTables = Effect.gen(function*() {
  const sql = yield* SqlClient
  // A result's finishing order: SQLite's rowid grows past every row it holds; PostgreSQL counts.
  const sequence = sql.onDialectOrElse({
    pg: () => sql.literal("BIGSERIAL PRIMARY KEY"),
    orElse: () => sql.literal("INTEGER PRIMARY KEY")
  })
  yield* sql`CREATE TABLE llm_batch_jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    total INTEGER NOT NULL,
    chunks TEXT NOT NULL,
    metadata TEXT NOT NULL,
    error TEXT
  )`
  yield* sql`CREATE INDEX llm_batch_jobs_owner ON llm_batch_jobs (owner, created_at)`
  yield* sql`CREATE INDEX llm_batch_jobs_status ON llm_batch_jobs (status)`
  yield* sql`CREATE INDEX llm_batch_jobs_finished ON llm_batch_jobs (finished_at)`
  yield* sql`CREATE TABLE llm_batch_questions (
    job_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    chunk INTEGER NOT NULL,
    item TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    PRIMARY KEY (job_id, position)
  )`
  yield* sql`CREATE INDEX llm_batch_questions_chunk ON llm_batch_questions (job_id, chunk)`
  // UNIQUE (job_id, idx) with INSERT … ON CONFLICT DO NOTHING: a question's result is recorded once.
  yield* sql`CREATE TABLE llm_batch_results (
    seq ${sequence},
    job_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    status TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    result TEXT NOT NULL,
    UNIQUE (job_id, idx)
  )`
  yield* sql`CREATE INDEX llm_batch_results_seq ON llm_batch_results (job_id, seq)`
  // Covers a job's counts and token sums: read from the index alone, not from the results.
  yield* sql`CREATE INDEX llm_batch_results_counts
    ON llm_batch_results (job_id, status, prompt_tokens, completion_tokens)`
})

/** Each result's cost (null: unknown) and each job's budget; the counts index covers the cost too. */
const addCosts = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE llm_batch_results ADD COLUMN cost_usd DOUBLE PRECISION`
  yield* sql`ALTER TABLE llm_batch_jobs ADD COLUMN max_cost_usd DOUBLE PRECISION`
  yield* sql`DROP INDEX llm_batch_results_counts`
  yield* sql`CREATE INDEX llm_batch_results_counts
    ON llm_batch_results (job_id, status, prompt_tokens, completion_tokens, cost_usd)`
})

/**
 * A result's position in its job, growing in commit order (store.ts `insertResult` keeps it). `seq`
 * is not: PostgreSQL transactions commit out of sequence order, so a reader paging by `seq` passed
 * results that committed later. Results stored before are numbered in their `seq` order.
 */
const addResultPositions = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE llm_batch_results ADD COLUMN pos BIGINT`
  yield* sql`UPDATE llm_batch_results SET pos = numbered.pos
    FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY seq) AS pos FROM llm_batch_results) AS numbered
    WHERE llm_batch_results.seq = numbered.seq`
  yield* sql`CREATE UNIQUE INDEX llm_batch_results_pos ON llm_batch_results (job_id, pos)`
  // The last position given in each job (PostgreSQL takes the next one from here, under the row's lock).
  yield* sql`ALTER TABLE llm_batch_jobs ADD COLUMN last_pos BIGINT NOT NULL DEFAULT 0`
  yield* sql`UPDATE llm_batch_jobs SET last_pos = COALESCE(
    (SELECT MAX(pos) FROM llm_batch_results WHERE job_id = llm_batch_jobs.id), 0)`
  // Nothing reads by `seq` any more.
  yield* sql`DROP INDEX llm_batch_results_seq`
})

/**
 * Each job's lane (jobs stored before it ran on the only lane there was: `sync`), and the provider
 * batches of the batch lane: one row per batch, written before the provider is called (`batch_id`
 * null until it accepts it), numbered 1, 2, 3, … per job. `custom_ids` is the batch's lines as JSON
 * `[[index, attempt], …]`: what each line's custom_id stands for.
 */
const addProviderBatches = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE llm_batch_jobs ADD COLUMN lane TEXT NOT NULL DEFAULT 'sync'`
  yield* sql`CREATE TABLE llm_batch_provider_batches (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT,
    base_url TEXT,
    wave INTEGER NOT NULL,
    status TEXT NOT NULL,
    batch_id TEXT,
    requests INTEGER NOT NULL,
    succeeded INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    error TEXT,
    custom_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, seq)
  )`
})

/** Every migration by id, in the order they run. Ids leave 2 free: another change of this release may take it. */
export const migrations = {
  "1_create_job_tables": createTables,
  "3_add_costs": addCosts,
  "4_add_result_positions": addResultPositions,
  "5_add_provider_batches": addProviderBatches
}

/** Brings the job tables up to date; safe to run at every start. */
export const migrate = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "llm_batch_migrations"
})
