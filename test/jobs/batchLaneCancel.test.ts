/**
 * Cancelling a job on the batch lane: the job ends cancelled, every question an error `cancelled`,
 * and the provider is asked to cancel the job's batches (both wire formats) — a pending one, one
 * the job was still sending (found again by its tag where the protocol keeps one), and the others
 * when one cancel fails. Nothing is sent after.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Job } from "../../src/domain/Job.ts"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { allResults, fastBatchLane, jobRequest, withJobs as withJobsIn } from "./support.ts"


const withJobs = <A, E>(test: Effect.Effect<A, E, Jobs | FakeUpstream>, env: Record<string, string> = {}) =>
  withJobsIn(test, { ...fastBatchLane, ...env })

/** The job as shown, once `ready` holds of it (polling, bounded by the test's timeout). */
const jobWhen = (id: string, ready: (job: Job) => boolean) =>
  Effect.gen(function*() {
    const jobs = yield* Jobs
    while (true) {
      const job = yield* jobs.get(id, "")
      if (ready(job)) return job
      yield* Effect.sleep("20 millis")
    }
  })

/** Every question of the job ended as an error `cancelled`. */
const expectAllCancelled = (id: string, indexes: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const results = yield* allResults(id)
    expect(results.map((result) => result.index).toSorted()).toEqual(indexes)
    expect(results.every((result) => result.status === "error" && result.error_message === "cancelled")).toBe(true)
  })

const models = [
  { protocol: "openai", model: "openai/gpt-4o-mini" },
  { protocol: "anthropic", model: "anthropic/claude-haiku-4-5" }
] as const

describe("cancelling a job on the batch lane", () => {
  for (const { model, protocol } of models) {
    it.live(`${protocol}: cancels its pending provider batch and ends every question cancelled`, () =>
      withJobs(Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        // Never ends by itself while the test runs: only the cancel can end it.
        upstream.batches.turnaround = { retrieves: 1_000_000 }
        const jobs = yield* Jobs
        const questions = [1, 2, 3].map((index) => ({ index, question: `question ${index}`, model }))
        const job = yield* jobs.submit({ ...jobRequest(questions), lane: "batch" }, "")

        // Pending: accepted by the provider (its id stored) and read at least once since.
        const shown = yield* jobWhen(job.id, (current) =>
          current.provider_batches[0]?.id != null && upstream.batches.created[0]!.retrieves > 0)
        const batchId = shown.provider_batches[0]!.id
        expect(upstream.batches.created.map((batch) => [batch.id, batch.phase])).toEqual([[batchId, "running"]])

        const cancelled = yield* jobs.cancel(job.id, "")
        expect(cancelled.status).toBe("cancelled")
        expect(cancelled.counts).toEqual({ total: 3, succeeded: 0, failed: 3, pending: 0 })
        expect(upstream.batches.cancels).toEqual([{ protocol, id: batchId }])
        expect(cancelled.provider_batches.map((batch) => [batch.id, batch.status])).toEqual([[batchId, "cancelling"]])
        yield* expectAllCancelled(job.id, [1, 2, 3])

        // Nothing more is sent: no other batch, no sync call, no second cancel.
        yield* Effect.sleep("300 millis")
        expect(upstream.batches.created).toHaveLength(1)
        expect(upstream.batches.cancels).toHaveLength(1)
        expect(upstream.requests.filter((request) => request.batchId === undefined)).toHaveLength(0)
      })), 30_000)
  }

  it.live("cancelled while sending its batches, it cancels the one the provider accepted and says what became of the other", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.batches.turnaround = { retrieves: 1_000_000 }
      // Both providers create the batch; their answers never reach the job before the cancel.
      upstream.batches.held = { routes: ["openai.batches.create", "anthropic.batches.create"], release: new Promise(() => {}) }
      const jobs = yield* Jobs
      const job = yield* jobs.submit({
        ...jobRequest(models.map(({ model }, i) => ({ index: i + 1, question: `question ${i + 1}`, model }))),
        lane: "batch"
      }, "")
      yield* jobWhen(job.id, (current) => current.provider_batches.length === 2 && upstream.batches.created.length === 2)
      const created = (protocol: string) => upstream.batches.created.find((batch) => batch.protocol === protocol)!

      const cancelled = yield* jobs.cancel(job.id, "")
      expect(cancelled.status).toBe("cancelled")
      yield* expectAllCancelled(job.id, [1, 2])
      // OpenAI: found by the tag it was sent with, and cancelled.
      expect(upstream.batches.cancels).toEqual([{ protocol: "openai", id: created("openai").id }])
      const shown = (provider: string) => cancelled.provider_batches.find((batch) => batch.provider === provider)!
      expect([shown("openai").id, shown("openai").status]).toEqual([created("openai").id, "cancelling"])
      // Anthropic keeps no tag: the batch cannot be found, and the job says so.
      expect([shown("anthropic").id, shown("anthropic").status]).toEqual([null, "cancelled"])
      expect(shown("anthropic").error).toBe(
        "the job was cancelled while this batch was being sent and anthropic has no batch tagged with it " +
          "(Anthropic keeps no tag: if it had accepted it, it runs unobserved)"
      )
    })), 30_000)

  it.live("a batch whose cancel fails does not keep the job's other batches from being cancelled", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.batches.turnaround = { retrieves: 1_000_000 }
      const jobs = yield* Jobs
      const job = yield* jobs.submit({
        ...jobRequest([1, 2].map((index) => ({ index, question: `question ${index}` }))),
        lane: "batch"
      }, "")
      const shown = yield* jobWhen(job.id, (current) =>
        current.provider_batches.length === 2 && current.provider_batches.every((batch) => batch.status === "in_progress"))
      const [first, second] = shown.provider_batches.map((batch) => batch.id!)
      upstream.batches.failNext("openai.batches.cancel", 500)

      const cancelled = yield* jobs.cancel(job.id, "")
      expect(cancelled.status).toBe("cancelled")
      // The first cancel was refused (and is shown as it last was); the second went through.
      expect(upstream.batches.calls.filter((call) => call.route === "openai.batches.cancel")).toHaveLength(2)
      expect(upstream.batches.cancels).toEqual([{ protocol: "openai", id: second }])
      expect(cancelled.provider_batches.map((batch) => [batch.id, batch.status]))
        .toEqual([[first, "in_progress"], [second, "cancelling"]])
    }), { BATCH_MAX_REQUESTS: "1" }), 30_000)
})
