/**
 * Every reader sees every result exactly once on PostgreSQL, where transactions commit out of the
 * order they began in: the real store and readers (a follow stream, MCP-style offset pages) while
 * writers record results in transactions that hold before their commit.
 */
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Redacted, Schema, Stream } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { errorResult } from "../../src/batch/question.ts"
import { QuestionItem, type ResultItem } from "../../src/domain/Batch.ts"
import type { JobResultsPage } from "../../src/domain/Job.ts"
import { migrate } from "../../src/jobs/migrations.ts"
import { immediate } from "../../src/jobs/readTurns.ts"
import { readResults, readResultsPage } from "../../src/jobs/reading.ts"
import { JobStore } from "../../src/jobs/store.ts"
import { scratchPostgresDatabase } from "../support/postgres.ts"

const store = Layer.unwrap(Effect.map(scratchPostgresDatabase("llm_batch_order"), (url) =>
  JobStore.layer.pipe(
    Layer.provideMerge(Layer.effectDiscard(migrate)),
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 24 }))
  )))

const result = (index: number): ResultItem => errorResult(index, "openai/gpt-4o-mini", `result ${index}`, 0, 0)

/** A running job of `total` questions, with no result yet. */
const runningJob = (total: number) =>
  Effect.gen(function*() {
    const jobs = yield* JobStore
    const id = `batch_${crypto.randomUUID().replaceAll("-", "")}`
    const questions = Array.from({ length: total }, (_, i) => ({
      item: Schema.decodeUnknownSync(QuestionItem)({ index: i + 1, question: `q${i + 1}` }),
      chunk: 0,
      dependsOn: []
    }))
    yield* jobs.insert({ id, owner: "", createdAt: 0, metadata: {}, maxCostUsd: undefined, lane: "sync", chunkDependencies: [[]] }, questions)
    yield* jobs.start(id, 0)
    return id
  })

/** Every page from offset 0, as MCP's `batch_results` is read, until `next_offset` is null. */
const readPages = (id: string, limit: number) =>
  Effect.gen(function*() {
    const jobs = yield* JobStore
    const read: Array<number> = []
    let offset: number | null = 0
    while (offset !== null) {
      const job = yield* jobs.find(id, "")
      const page: JobResultsPage = yield* readResultsPage(jobs, job!, { offset, limit }, immediate)
      read.push(...page.results.map((item) => item.index))
      offset = page.next_offset
      if (page.results.length === 0) yield* Effect.sleep("5 millis")
    }
    return read
  })

const follow = (id: string) =>
  Effect.gen(function*() {
    const items = yield* Stream.runCollect(readResults(yield* JobStore, id, { follow: true }, immediate))
    return items.map((item) => item.index)
  })

const sorted = (indexes: ReadonlyArray<number>) => [...indexes].sort((a, b) => a - b)
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

describe("results on PostgreSQL with writers committing out of order", () => {
  it.live("a result that commits after a later one is read once by a follower and by offset pages", () =>
    Effect.gen(function*() {
      const jobs = yield* JobStore
      const sql = yield* SqlClient
      const id = yield* runningJob(2)
      const recorded = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      // Writer A records question 1 and holds its transaction open.
      const a = yield* Effect.forkChild(sql.withTransaction(
        jobs.record(id, result(1)).pipe(Effect.andThen(Deferred.succeed(recorded, undefined)), Effect.andThen(Deferred.await(release)))
      ))
      yield* Deferred.await(recorded)
      // Writer B records question 2 and commits first (or waits for A: what the fix does).
      const b = yield* Effect.forkChild(jobs.record(id, result(2)))
      yield* Effect.raceFirst(Fiber.join(b), Effect.sleep("500 millis"))
      const follower = yield* Effect.forkChild(follow(id))
      const pager = yield* Effect.forkChild(readPages(id, 1))
      yield* Effect.sleep("400 millis")
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      yield* jobs.transition(id, ["running"], "completed", { finishedAt: 1 })
      expect(sorted(yield* Fiber.join(follower))).toEqual([1, 2])
      expect(sorted(yield* Fiber.join(pager))).toEqual([1, 2])
    }).pipe(Effect.scoped, Effect.provide(store)), 30_000)

  it.live("many writers at once: every reader gets every index exactly once, five times over", () =>
    Effect.gen(function*() {
      const jobs = yield* JobStore
      const sql = yield* SqlClient
      const total = 120
      for (let round = 0; round < 5; round++) {
        const id = yield* runningJob(total)
        const follower = yield* Effect.forkChild(follow(id))
        const pager = yield* Effect.forkChild(readPages(id, 7))
        // Each result in a transaction that holds 0–3 ms before it commits: commits land out of order.
        yield* Effect.forEach(oneToN(total), (index) =>
          sql.withTransaction(Effect.andThen(jobs.record(id, result(index)), Effect.sleep(`${index % 4} millis`))), {
          concurrency: 20,
          discard: true
        })
        yield* jobs.transition(id, ["running"], "completed", { finishedAt: 1 })
        const followed = yield* Fiber.join(follower)
        const paged = yield* Fiber.join(pager)
        expect(followed.length, `round ${round}: followed`).toBe(total)
        expect(sorted(followed)).toEqual(oneToN(total))
        expect(paged.length, `round ${round}: paged`).toBe(total)
        expect(sorted(paged)).toEqual(oneToN(total))
        // Read again once it has ended: the same results, in the order the readers saw them.
        const again = yield* Stream.runCollect(readResults(jobs, id, { follow: false }, immediate))
        expect(again.map((item) => item.index)).toEqual(followed)
      }
    }).pipe(Effect.scoped, Effect.provide(store)), 60_000)
})
