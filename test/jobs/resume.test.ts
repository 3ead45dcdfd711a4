/**
 * A service stopped while a job runs (its layer closed, as SIGTERM does) loses no result: the
 * next start on the same DATA_DIR resumes the job by itself, and only the questions that were in
 * flight are asked again.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { allResults, jobRequest, jobsLayer, questions, tempDir, waitForEnd } from "./support.ts"

const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    while (!ready()) yield* Effect.sleep("10 millis")
  })

describe("resuming a job", () => {
  it.live("a job interrupted by a shutdown completes after the next start, asking again at most what was in flight", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 100 })
      const dir = yield* tempDir
      const env = { DATA_DIR: dir, LLM_CONCURRENCY: "8", BATCH_CONCURRENCY: "4", JOB_CHUNK_SIZE: "20" }
      const id = yield* Effect.gen(function*() {
        const job = yield* (yield* Jobs).submit(jobRequest(questions(60)), "")
        yield* until(() => upstream.requests.length >= 25)
        return job.id
      }).pipe(Effect.provide(jobsLayer(env)))

      const done = yield* waitForEnd(id).pipe(Effect.provide(jobsLayer(env)))
      expect(done.status).toBe("completed")
      expect(done.counts).toEqual({ total: 60, succeeded: 60, failed: 0, pending: 0 })
      const results = yield* allResults(id).pipe(Effect.provide(jobsLayer(env)))
      expect(new Set(results.map((result) => result.index)).size).toBe(60)
      // No question ended as an error of the shutdown: the interrupted ones ran again instead.
      expect(results.every((result) => result.status === "success")).toBe(true)
      // At most the BATCH_CONCURRENCY questions in flight at the stop were asked twice.
      expect(upstream.requests.length).toBeLessThanOrEqual(60 + 4)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
