/**
 * Cancelling a job on the batch lane while its provider batch is pending: the job ends cancelled,
 * every question an error `cancelled`, and the provider is asked to cancel that batch (both wire
 * formats); nothing is sent after.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { allResults, jobRequest, jobsLayer, tempDir } from "./support.ts"

const fast = { BATCH_POLL_INTERVAL_MS: "20", BATCH_COLLECT_MS: "20" }

const models = [
  { protocol: "openai", model: "openai/gpt-4o-mini" },
  { protocol: "anthropic", model: "anthropic/claude-haiku-4-5" }
] as const

describe("cancelling a job on the batch lane", () => {
  for (const { model, protocol } of models) {
    it.live(`${protocol}: cancels its pending provider batch and ends every question cancelled`, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        // Never ends by itself while the test runs: only the cancel can end it.
        upstream.batches.turnaround = { retrieves: 1_000_000 }
        const dir = yield* tempDir
        yield* Effect.gen(function*() {
          const jobs = yield* Jobs
          const questions = [1, 2, 3].map((index) => ({ index, question: `question ${index}`, model }))
          const job = yield* jobs.submit({ ...jobRequest(questions), lane: "batch" }, "")

          // Pending: accepted by the provider (its id stored) and read at least once since.
          let shown = yield* jobs.get(job.id, "")
          while (shown.provider_batches[0]?.id == null || upstream.batches.created[0]!.retrieves === 0) {
            yield* Effect.sleep("20 millis")
            shown = yield* jobs.get(job.id, "")
          }
          const batchId = shown.provider_batches[0]!.id
          expect(upstream.batches.created.map((batch) => [batch.id, batch.phase])).toEqual([[batchId, "running"]])

          const cancelled = yield* jobs.cancel(job.id, "")
          expect(cancelled.status).toBe("cancelled")
          expect(cancelled.counts).toEqual({ total: 3, succeeded: 0, failed: 3, pending: 0 })
          expect(upstream.batches.cancels).toEqual([{ protocol, id: batchId }])
          expect(cancelled.provider_batches.map((batch) => [batch.id, batch.status])).toEqual([[batchId, "cancelling"]])

          const results = yield* allResults(job.id)
          expect(results.map((result) => result.index).toSorted()).toEqual([1, 2, 3])
          expect(results.every((result) => result.status === "error" && result.error_message === "cancelled")).toBe(true)

          // Nothing more is sent: no other batch, no sync call, no second cancel.
          yield* Effect.sleep("300 millis")
          expect(upstream.batches.created).toHaveLength(1)
          expect(upstream.batches.cancels).toHaveLength(1)
          expect(upstream.requests.filter((request) => request.batchId === undefined)).toHaveLength(0)
        }).pipe(Effect.provide(jobsLayer({ DATA_DIR: dir, ...fast })))
      }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
  }
})
