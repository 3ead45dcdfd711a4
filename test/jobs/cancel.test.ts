/**
 * Cancel: the questions in flight are interrupted (their upstream requests aborted), no further
 * question is sent, and every question without a result ends as an error `cancelled`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { allResults, jobRequest, jobsLayer, questions, tempDir } from "./support.ts"

/** Polls `ready` (bounded by the test's timeout). */
const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    while (!ready()) yield* Effect.sleep("10 millis")
  })

describe("cancelling a job", () => {
  it.live("aborts the calls in flight, sends no others, and ends every unfinished question as cancelled", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("quick", {})
      upstream.always("question", { delayMs: 60_000 })
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        const jobs = yield* Jobs
        const job = yield* jobs.submit(
          jobRequest([{ index: 0, question: "quick" }, ...questions(40).map((q) => ({ ...q, meta: { row: q.index } }))]),
          ""
        )
        // Every slot the job may hold (BATCH_CONCURRENCY 4) is taken by a question that never answers.
        yield* until(() => upstream.requests.length === 5)
        const cancelled = yield* jobs.cancel(job.id, "")
        expect(cancelled.status).toBe("cancelled")
        expect(cancelled.counts).toEqual({ total: 41, succeeded: 1, failed: 40, pending: 0 })
        yield* until(() => upstream.aborted === 4)
        expect(upstream.requests).toHaveLength(5)
        const results = yield* allResults(job.id)
        expect(results).toHaveLength(41)
        const failed = results.filter((result) => result.status === "error")
        expect(failed.map((result) => result.index).toSorted((a, b) => a - b)).toEqual(questions(40).map((q) => q.index))
        expect(failed.every((result) => result.error_message === "cancelled")).toBe(true)
        // Each keeps its question's meta, sent or not.
        expect(failed.every((result) => result.meta?.["row"] === result.index)).toBe(true)
        // Cancelling an ended job changes nothing.
        expect(yield* jobs.cancel(job.id, "")).toEqual(yield* jobs.get(job.id, ""))
      }).pipe(Effect.provide(jobsLayer({ DATA_DIR: dir, LLM_CONCURRENCY: "8", BATCH_CONCURRENCY: "4", JOB_CHUNK_SIZE: "10" })))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
