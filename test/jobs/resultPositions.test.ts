/**
 * Results stored before positions existed are numbered 1, 2, 3, … per job in the order they were
 * stored, on SQLite and PostgreSQL, and read in that order after the upgrade.
 */
import { PgClient } from "@effect/sql-pg"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as Migrator from "effect/sql/Migrator"
import { SqlClient } from "effect/sql/SqlClient"
import { join } from "node:path"
import { errorResult } from "../../src/batch/question.ts"
import { migrate, migrations } from "../../src/jobs/migrations.ts"
import { immediate } from "../../src/jobs/readTurns.ts"
import { readResults } from "../../src/jobs/reading.ts"
import { makeJobStore } from "../../src/jobs/store.ts"
import { scratchPostgresDatabase } from "../support/postgres.ts"
import { tempDir } from "./support.ts"

// The migrations up to 3: the Migrator runs only those numbered after the last one run.
const before = Object.fromEntries(Object.entries(migrations).filter(([id]) => Number.parseInt(id) < 4))
const migrateBefore = Migrator.make({})({ loader: Migrator.fromRecord(before), table: "llm_batch_migrations" })

const sqlite = Layer.unwrap(Effect.map(tempDir, (dir) => SqliteClient.layer({ filename: join(dir, "store.sqlite") })))
const postgres = Layer.unwrap(Effect.map(scratchPostgresDatabase("llm_batch_positions"), (url) =>
  PgClient.layer({ url: Redacted.make(url) })))

const upgrade = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* migrateBefore
  for (const id of ["batch_a", "batch_b"]) {
    yield* sql`INSERT INTO llm_batch_jobs ${
      sql.insert({ id, owner: "", status: "running", created_at: 0, total: 4, chunks: "[[]]", metadata: "{}" })
    }`
  }
  // Two jobs' results interleaved, as the old code stored them: no position.
  for (const [job, index] of [["batch_a", 3], ["batch_b", 1], ["batch_a", 1], ["batch_b", 2], ["batch_a", 2]] as const) {
    const result = errorResult(index, "openai/gpt-4o-mini", `${job} ${index}`, 0, 0)
    yield* sql`INSERT INTO llm_batch_results ${
      sql.insert({ job_id: job, idx: index, status: "error", prompt_tokens: 0, completion_tokens: 0, result: JSON.stringify(result) })
    }`
  }
  yield* migrate
  const store = yield* makeJobStore
  const read = (id: string) => Stream.runCollect(readResults(store, id, { follow: false }, immediate))
  expect((yield* read("batch_a")).map((result) => result.index)).toEqual([3, 1, 2])
  expect((yield* read("batch_b")).map((result) => result.index)).toEqual([1, 2])
  // New results go after them.
  yield* store.record("batch_a", errorResult(4, "openai/gpt-4o-mini", "new", 0, 0))
  expect(yield* store.resultsAfter("batch_a", 3, 10)).toMatchObject([{ position: 4, result: { index: 4 } }])
})

describe("results stored before positions existed", () => {
  it.effect("are numbered in the order stored, per job (SQLite)", () =>
    upgrade.pipe(Effect.provide(sqlite), Effect.scoped))

  it.live("are numbered in the order stored, per job (PostgreSQL)", () =>
    upgrade.pipe(Effect.provide(postgres), Effect.scoped), 30_000)
})
