/**
 * The provider batch lane in the test process: the real `Jobs` service with the fake upstream's
 * batch APIs (both wire formats), polled every few milliseconds (BATCH_POLL_INTERVAL_MS).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { allResults, jobRequest, jobsLayer, tempDir, waitForEnd } from "./support.ts"

const fast = { BATCH_POLL_INTERVAL_MS: "20", BATCH_COLLECT_MS: "20" }

const withJobs = <A, E>(test: Effect.Effect<A, E, Jobs | FakeUpstream>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    return yield* test.pipe(Effect.provide(jobsLayer({ DATA_DIR: dir, ...fast, ...env })))
  }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer))

const models = [
  { protocol: "openai", model: "openai/gpt-4o-mini" },
  { protocol: "anthropic", model: "anthropic/claude-haiku-4-5" }
] as const

describe("the batch lane", () => {
  for (const { model, protocol } of models) {
    it.live(`${protocol}: a 3-wave dependent job runs through provider batches, one result per question`, () =>
      withJobs(Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("Capital", { text: "Paris" })
        upstream.always("River of Paris", { text: "Seine" })
        const jobs = yield* Jobs
        const job = yield* jobs.submit({
          ...jobRequest([
            { index: 1, question: "Capital of France?", model },
            { index: 2, question: "River of {Q1_result}?", model },
            { index: 3, question: "Length of the {Q2_result}?", model },
            { index: 4, question: "Independent one", model }
          ]),
          lane: "batch"
        }, "")
        expect(job.lane).toBe("batch")
        const done = yield* waitForEnd(job.id)
        expect(done.status).toBe("completed")
        const results = yield* allResults(job.id)
        expect(results.map((result) => result.index).toSorted()).toEqual([1, 2, 3, 4])
        expect(results.every((result) => result.status === "success" && result.lane === "batch")).toBe(true)
        expect(results.find((result) => result.index === 3)?.result).toBe("answer to: Length of the Seine?")
        // Three waves: Q1 and Q4 together, then Q2, then Q3; no call went the sync way.
        expect(upstream.batches.created.map((batch) => batch.customIds.length)).toEqual([2, 1, 1])
        expect(upstream.requests.filter((request) => request.batchId === undefined)).toHaveLength(0)
        const shown = yield* jobs.get(job.id, "")
        expect(shown.provider_batches.map((batch) => [batch.wave, batch.status, batch.requests, batch.succeeded]))
          .toEqual([[1, "ended", 2, 2], [2, "ended", 1, 1], [3, "ended", 1, 1]])
      })), 30_000)
  }
})
