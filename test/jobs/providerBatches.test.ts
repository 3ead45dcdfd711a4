/**
 * A job's lane and its provider batches in the store, on SQLite (a real file) and PostgreSQL: a
 * provider batch is stored before it is sent, then its provider id and each change of state; the
 * job shows them; a finished one never changes; they are deleted with the job; jobs stored before
 * lanes existed read as `sync`.
 */
import { PgClient } from "@effect/sql-pg"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as PrometheusMetrics from "effect/observability/PrometheusMetrics"
import * as Migrator from "effect/sql/Migrator"
import { SqlClient } from "effect/sql/SqlClient"
import { join } from "node:path"
import parsePrometheusTextFormat from "parse-prometheus-text-format"
import { QuestionItem } from "../../src/domain/Batch.ts"
import type { Lane } from "../../src/domain/Lane.ts"
import { migrate, migrations } from "../../src/jobs/migrations.ts"
import { makeJobStore } from "../../src/jobs/store.ts"
import { registryContext } from "../../src/observability/metrics.ts"
import { scratchPostgresDatabase } from "../support/postgres.ts"
import { tempDir } from "./support.ts"

const sqlite = Layer.unwrap(Effect.map(tempDir, (dir) => SqliteClient.layer({ filename: join(dir, "store.sqlite") })))
const postgres = Layer.unwrap(Effect.map(scratchPostgresDatabase("llm_batch_provider_batches"), (url) =>
  PgClient.layer({ url: Redacted.make(url) })))

const question = (index: number) => ({
  item: Schema.decodeUnknownSync(QuestionItem)({ index, question: `q${index}` }),
  chunk: 0,
  dependsOn: []
})

const insertJob = (store: Effect.Success<typeof makeJobStore>, id: string, lane: Lane) =>
  store.insert(
    { id, owner: "", createdAt: 0, metadata: {}, maxCostUsd: undefined, lane, chunkDependencies: [[]] },
    [question(1), question(2), question(3)]
  )

/** How many times a provider batch of `provider` entered `state`, as GET /metrics says it. */
const entered = (provider: string, state: string): number => {
  const family = parsePrometheusTextFormat(PrometheusMetrics.formatUnsafe(registryContext))
    .find((metric) => metric.name === "llm_batch_provider_batches_total")
  const series = family?.metrics.find((metric) => metric.labels?.provider === provider && metric.labels.state === state)
  return Number(series?.value ?? 0)
}

/** Each database's test counts a provider label of its own: metrics are process-wide. */
const roundTrip = (provider: string) =>
  Effect.gen(function*() {
    yield* migrate
    const store = yield* makeJobStore
    yield* insertJob(store, "batch_lane", "batch")
    yield* insertJob(store, "batch_plain", "sync")

    const first = yield* store.planProviderBatch("batch_lane", {
      provider,
      model: "gpt-4o-mini",
      baseUrl: "https://api.openai.com/v1",
      wave: 1,
      lines: [{ index: 1, attempt: 1 }, { index: 2, attempt: 1 }]
    })
    const second = yield* store.planProviderBatch("batch_lane", { provider, wave: 2, lines: [{ index: 3, attempt: 1 }] })
    expect([first, second]).toEqual([1, 2])
    // Stored before the provider is called: no provider id yet.
    expect(yield* store.providerBatches("batch_lane")).toMatchObject([
      {
        seq: 1,
        provider,
        model: "gpt-4o-mini",
        baseUrl: "https://api.openai.com/v1",
        wave: 1,
        status: "submitting",
        batchId: null,
        requests: 2,
        succeeded: 0,
        failed: 0,
        error: null,
        lines: [{ index: 1, attempt: 1 }, { index: 2, attempt: 1 }]
      },
      { seq: 2, model: null, baseUrl: null, wave: 2, status: "submitting", lines: [{ index: 3, attempt: 1 }] }
    ])

    expect(yield* store.providerBatchSubmitted("batch_lane", first, "batch_abc", "validating")).toBe(true)
    // Accepted once: a second acceptance (a replayed step) changes nothing.
    expect(yield* store.providerBatchSubmitted("batch_lane", first, "batch_other", "in_progress")).toBe(false)
    expect(yield* store.updateProviderBatch("batch_lane", first, { status: "in_progress", succeeded: 1, failed: 0 }))
      .toBe(true)
    expect(yield* store.updateProviderBatch("batch_lane", first, { status: "in_progress", succeeded: 2, failed: 0 }))
      .toBe(true)
    expect(yield* store.updateProviderBatch("batch_lane", first, { status: "ended", succeeded: 1, failed: 1 }))
      .toBe(true)
    // Ended: it never changes again.
    expect(yield* store.updateProviderBatch("batch_lane", first, { status: "in_progress", succeeded: 0, failed: 0 }))
      .toBe(false)
    expect(yield* store.updateProviderBatch("batch_lane", second, {
      status: "failed",
      succeeded: 0,
      failed: 1,
      error: "the provider refused the batch: too large"
    })).toBe(true)
    expect(yield* store.updateProviderBatch("batch_lane", 9, { status: "ended", succeeded: 0, failed: 0 })).toBe(false)

    const shown = yield* store.find("batch_lane", "")
    expect(shown).toMatchObject({ lane: "batch" })
    expect(shown!.provider_batches).toEqual([
      { provider, id: "batch_abc", wave: 1, status: "ended", requests: 2, succeeded: 1, failed: 1 },
      {
        provider,
        id: null,
        wave: 2,
        status: "failed",
        requests: 1,
        succeeded: 0,
        failed: 1,
        error: "the provider refused the batch: too large"
      }
    ])
    expect(yield* store.find("batch_plain", "")).toMatchObject({ lane: "sync", provider_batches: [] })
    expect((yield* store.list("", 10)).map((job) => [job.id, job.lane, job.provider_batches.length])).toEqual([
      ["batch_plain", "sync", 0],
      ["batch_lane", "batch", 2]
    ])
    expect(yield* store.state("batch_lane")).toEqual({ owner: "", status: "queued", lane: "batch" })

    // Each state a batch entered is counted once; the repeated in_progress and the refused changes are not.
    expect(["submitting", "validating", "in_progress", "ended", "failed"].map((state) => entered(provider, state)))
      .toEqual([2, 1, 1, 1, 1])

    yield* store.remove("batch_lane")
    expect(yield* store.providerBatches("batch_lane")).toEqual([])
    const sql = yield* SqlClient
    const left = yield* sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM llm_batch_provider_batches`
    expect(Number(left[0]!.n)).toBe(0)
  })

/** Replicas planning provider batches of one job at once: each gets a `seq` of its own. */
const racingPlans = Effect.gen(function*() {
  yield* migrate
  const store = yield* makeJobStore
  yield* insertJob(store, "batch_race", "auto")
  const seqs = yield* Effect.all(
    Array.from({ length: 8 }, (_, i) =>
      store.planProviderBatch("batch_race", { provider: "anthropic", wave: 1, lines: [{ index: i + 1, attempt: 1 }] })),
    { concurrency: "unbounded" }
  )
  expect(seqs.toSorted((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  const stored = yield* store.providerBatches("batch_race")
  expect(stored.map((batch) => batch.lines[0]!.index).toSorted((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
})

const before = Object.fromEntries(Object.entries(migrations).filter(([id]) => Number.parseInt(id) < 5))
const migrateBefore = Migrator.make({})({ loader: Migrator.fromRecord(before), table: "llm_batch_migrations" })

/** A job stored by the previous version reads as a sync job without provider batches. */
const upgrade = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* migrateBefore
  yield* sql`INSERT INTO llm_batch_jobs ${
    sql.insert({ id: "batch_old", owner: "", status: "completed", created_at: 0, total: 0, chunks: "[]", metadata: "{}" })
  }`
  yield* migrate
  const store = yield* makeJobStore
  expect(yield* store.find("batch_old", "")).toMatchObject({ lane: "sync", provider_batches: [] })
  expect(yield* store.planProviderBatch("batch_old", { provider: "openai", wave: 1, lines: [] })).toBe(1)
})

describe("provider batches in the job store", () => {
  it.effect("are stored before they are sent, then accepted, updated and shown with the job (SQLite)", () =>
    roundTrip("sqlite-provider").pipe(Effect.provide(sqlite), Effect.scoped))

  it.live("are stored before they are sent, then accepted, updated and shown with the job (PostgreSQL)", () =>
    roundTrip("postgres-provider").pipe(Effect.provide(postgres), Effect.scoped), 30_000)

  it.live("planned at once for one job, each gets its own seq (PostgreSQL)", () =>
    racingPlans.pipe(Effect.provide(postgres), Effect.scoped), 30_000)

  it.effect("a job stored before lanes existed reads as sync, without provider batches (SQLite)", () =>
    upgrade.pipe(Effect.provide(sqlite), Effect.scoped))

  it.live("a job stored before lanes existed reads as sync, without provider batches (PostgreSQL)", () =>
    upgrade.pipe(Effect.provide(postgres), Effect.scoped), 30_000)
})
