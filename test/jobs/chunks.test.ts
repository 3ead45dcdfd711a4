/**
 * Chunks, a job's durable steps: every question's dependencies sit in an earlier chunk or its own,
 * and answers flow across chunk boundaries as they do within `/ask`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { planBatch } from "../../src/batch/plan.ts"
import { chunkPlan } from "../../src/jobs/chunks.ts"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { batchOf, testConfig } from "../support/engine.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { jobRequest, jobsLayer, tempDir, waitForEnd } from "./support.ts"

const plan = (questions: ReadonlyArray<Record<string, unknown>>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    return yield* planBatch(batchOf(questions), config)
  }).pipe(Effect.provide(testConfig()))

describe("chunking a job", () => {
  it.effect("puts every dependency in an earlier chunk or the question's own", () =>
    Effect.gen(function*() {
      // Listed dependents first: the request order alone would cut them from what they wait for.
      const planned = yield* plan([
        { index: 5, question: "last {Q4_result}" },
        { index: 4, question: "then {Q3_result} and {Q1_result}" },
        { index: 1, question: "a", method: "sequential" },
        { index: 2, question: "b", method: "sequential" },
        { index: 3, question: "c", method: "sequential" },
        { index: 6, question: "free" }
      ])
      const { chunkDependencies, chunkOf } = chunkPlan(planned, 2)
      const chunkOfIndex = new Map(planned.map(({ item }, position) => [item.index, chunkOf[position]!]))
      for (const [position, { dependsOn }] of planned.entries()) {
        for (const index of dependsOn) {
          expect(chunkOfIndex.get(index)!).toBeLessThanOrEqual(chunkOf[position]!)
          if (chunkOfIndex.get(index) !== chunkOf[position]) expect(chunkDependencies[chunkOf[position]!]).toContain(chunkOfIndex.get(index))
        }
      }
      expect(chunkDependencies.length).toBe(3)
      expect(chunkDependencies.every((dependencies, chunk) => dependencies.every((dependency) => dependency < chunk))).toBe(true)
    }))

  it.effect("cuts a chain of 50,000 without recursion", () =>
    Effect.gen(function*() {
      const planned = yield* plan(
        Array.from({ length: 50_000 }, (_, i) => ({ index: i + 1, question: `step ${i + 1}`, method: "sequential" }))
      ).pipe(Effect.provide(testConfig({ MAX_BATCH_SIZE: "50000" })))
      const { chunkDependencies } = chunkPlan(planned, 500)
      expect(chunkDependencies.length).toBe(100)
      expect(chunkDependencies[99]).toEqual([98])
    }))
})

describe("a job cut into chunks", () => {
  it.live("a chain and a {Q<n>_result.field} reference across chunk boundaries get the earlier answers", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("a person", { text: '{"name": "Ada", "born": 1815}' })
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        const jobs = yield* Jobs
        const job = yield* jobs.submit(
          jobRequest([
            { index: 1, question: "a person", validation_strategy: "json" },
            { index: 2, question: "greet {Q1_result.name}, born {Q1_result.born}" },
            { index: 3, question: "first", method: "sequential" },
            { index: 4, question: "second", method: "sequential" },
            { index: 5, question: "third after {Q4_result}", method: "sequential" }
          ]),
          ""
        )
        const done = yield* waitForEnd(job.id)
        expect(done.counts).toEqual({ total: 5, succeeded: 5, failed: 0, pending: 0 })
      }).pipe(Effect.provide(jobsLayer({ DATA_DIR: dir, JOB_CHUNK_SIZE: "1" })))
      // One question per chunk: every dependency crossed a chunk boundary.
      expect(upstream.callsFor("greet").map((call) => call.prompt)).toEqual(["greet Ada, born 1815"])
      expect(upstream.callsFor("third").map((call) => call.prompt)).toEqual(["third after answer to: second"])
      const order = upstream.requests.map((request) => request.prompt)
      expect(order.indexOf("first")).toBeLessThan(order.indexOf("second"))
      expect(order.indexOf("second")).toBeLessThan(order.indexOf("third after answer to: second"))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("a job's chunks share one claim on upstream slots: never more than BATCH_CONCURRENCY", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 100 })
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        const jobs = yield* Jobs
        const job = yield* jobs.submit(jobRequest(Array.from({ length: 24 }, (_, i) => ({ index: i + 1, question: `question ${i + 1}` }))), "")
        yield* waitForEnd(job.id)
      }).pipe(Effect.provide(jobsLayer({
        DATA_DIR: dir,
        JOB_CHUNK_SIZE: "4",
        JOB_CHUNK_CONCURRENCY: "4",
        LLM_CONCURRENCY: "20",
        BATCH_CONCURRENCY: "3"
      })))
      expect(upstream.requests).toHaveLength(24)
      expect(upstream.peakInFlight).toBe(3)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
