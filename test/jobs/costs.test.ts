/**
 * A job's cost in the store: summed by the database over its results (unknown when one result's
 * is), and what its budget has spent, read again from the store at every chunk start, so it
 * survives a restart. Results stored before costs existed still read.
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { join } from "node:path"
import { errorResult } from "../../src/batch/question.ts"
import { QuestionItem, type ResultItem } from "../../src/domain/Batch.ts"
import { migrate } from "../../src/jobs/migrations.ts"
import { JobStore } from "../../src/jobs/store.ts"
import { tempDir } from "./support.ts"

const store = Layer.unwrap(Effect.map(tempDir, (dir) =>
  JobStore.layer.pipe(
    Layer.provideMerge(Layer.effectDiscard(migrate)),
    Layer.provideMerge(SqliteClient.layer({ filename: join(dir, "store.sqlite") }))
  )))

const answered = (index: number, costUsd: number | null): ResultItem => ({
  ...errorResult(index, "openai/gpt-4o-mini", "", 1, 1),
  status: "success",
  error_message: null,
  result: "ok",
  usage: { prompt_tokens: 10, completion_tokens: 5 },
  cost_usd: costUsd
})

const newJob = (id: string, maxCostUsd?: number) => ({
  id,
  owner: "",
  createdAt: 0,
  metadata: {},
  lane: "sync" as const,
  maxCostUsd,
  chunkDependencies: [[]]
})

const oneQuestion = [{ item: Schema.decodeUnknownSync(QuestionItem)({ index: 1, question: "q" }), chunk: 0, dependsOn: [] }]

describe("a job's cost in the store", () => {
  it.effect("is the sum of its results' costs, and unknown once one result's cost is", () =>
    Effect.gen(function*() {
      const jobs = yield* JobStore
      yield* jobs.insert(newJob("batch_a"), oneQuestion)
      yield* jobs.record("batch_a", answered(1, 0.25))
      yield* jobs.record("batch_a", answered(2, 0.5))
      yield* jobs.record("batch_a", errorResult(3, "openai/gpt-4o-mini", "budget exceeded", 0, 0))
      expect((yield* jobs.find("batch_a", ""))!.cost_usd).toBe(0.75)
      yield* jobs.record("batch_a", answered(4, null))
      expect((yield* jobs.find("batch_a", ""))!.cost_usd).toBeNull()
    }).pipe(Effect.scoped, Effect.provide(store)))

  it.effect("its budget is max_cost_usd and what its recorded results cost; none without max_cost_usd", () =>
    Effect.gen(function*() {
      const jobs = yield* JobStore
      yield* jobs.insert(newJob("batch_b", 2), oneQuestion)
      yield* jobs.insert(newJob("batch_c"), oneQuestion)
      expect(yield* jobs.budget("batch_b")).toEqual({ maxCostUsd: 2, spentUsd: 0 })
      yield* jobs.record("batch_b", answered(1, 0.5))
      yield* jobs.record("batch_b", answered(2, 0.25))
      expect(yield* jobs.budget("batch_b")).toEqual({ maxCostUsd: 2, spentUsd: 0.75 })
      expect(yield* jobs.budget("batch_c")).toBeUndefined()
    }).pipe(Effect.scoped, Effect.provide(store)))

  it.effect("a result stored before models_tried, cost_usd and lane existed reads with its model, an unknown cost, lane sync", () =>
    Effect.gen(function*() {
      const jobs = yield* JobStore
      const sql = yield* SqlClient
      yield* jobs.insert(newJob("batch_d"), oneQuestion)
      const { cost_usd: _cost, lane: _lane, models_tried: _models, ...legacy } = answered(1, 0.1)
      const row = { job_id: "batch_d", idx: 1, status: "success", prompt_tokens: 10, completion_tokens: 5 }
      yield* sql`INSERT INTO llm_batch_results ${sql.insert({ ...row, result: JSON.stringify(legacy) })}`
      const [result] = yield* jobs.resultsOf("batch_d", [1])
      expect(result).toMatchObject({ models_tried: ["openai/gpt-4o-mini"], cost_usd: null, lane: "sync" })
      expect((yield* jobs.find("batch_d", ""))!.cost_usd).toBeNull()
    }).pipe(Effect.scoped, Effect.provide(store)))
})
