/**
 * The provider batch lane in the test process: the real `Jobs` service with the fake upstream's
 * batch APIs (both wire formats), polled every few milliseconds (BATCH_POLL_INTERVAL_MS).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream, type FakeUpstreamState } from "../support/FakeUpstream.ts"
import { allResults, fastBatchLane, jobRequest, waitForEnd, withJobs as withJobsIn } from "./support.ts"


const withJobs = <A, E>(test: Effect.Effect<A, E, Jobs | FakeUpstream>, env: Record<string, string> = {}) =>
  withJobsIn(test, { ...fastBatchLane, ...env })

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

/** Submits `questions` on `lane` and waits for the job's end: the job and its results by index. */
const runJob = (questions: ReadonlyArray<Record<string, unknown>>, extra: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const jobs = yield* Jobs
    const job = yield* jobs.submit({ ...jobRequest(questions), lane: "batch", ...extra }, "")
    const done = yield* waitForEnd(job.id)
    const results = yield* allResults(job.id)
    return { job: yield* jobs.get(done.id, ""), results: new Map(results.map((result) => [result.index, result])) }
  })

const syncCalls = (upstream: FakeUpstreamState) => upstream.requests.filter((request) => request.batchId === undefined)

const gpt = "openai/gpt-4o-mini"

for (const { model, protocol } of models) {
  describe(`the batch lane (${protocol}): checks, repairs and retries`, () => {
    it.live("a structured answer that does not validate is repaired through the sync lane", () =>
      withJobs(Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.script("Is the sky blue", { text: "Sure it is." })
        upstream.script("corrected JSON", { text: '{"answer": true, "reason": "Rayleigh scattering."}' })
        const { results } = yield* runJob([{ index: 1, question: "Is the sky blue?", model, response_model: "yes_no" }])
        expect(results.get(1)).toMatchObject({ status: "success", result: { answer: true }, retry_count: 1, lane: "batch" })
        expect(upstream.batches.created).toHaveLength(1)
        // The repair went the sync way: one call, no second provider batch.
        expect(syncCalls(upstream)).toHaveLength(1)
        expect(syncCalls(upstream)[0]!.allText).toContain("Sure it is.")
      })), 30_000)

    it.live("errored and expired lines are retried alone, in the next provider batch", () =>
      withJobs(Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.script("flaky", { status: 500 }, { text: "fine now" })
        upstream.script("slow", { batchExpired: true }, { text: "in time now" })
        const { job, results } = yield* runJob([
          { index: 1, question: "steady", model },
          { index: 2, question: "flaky", model },
          { index: 3, question: "slow", model }
        ])
        expect([...results.values()].every((result) => result.status === "success")).toBe(true)
        expect(results.get(2)).toMatchObject({ result: "fine now", attempts: 2 })
        expect(results.get(3)).toMatchObject({ result: "in time now", attempts: 2 })
        expect(upstream.batches.created.map((batch) => batch.customIds.map((id) => id.split("-").slice(1).join("-")).toSorted()))
          .toEqual([["1-1", "2-1", "3-1"], ["2-2", "3-2"]])
        expect(job.provider_batches.map((batch) => [batch.status, batch.succeeded, batch.failed]))
          .toEqual([["ended", 1, 2], ["ended", 2, 0]])
      })), 30_000)

    it.live("a whole batch that expires is shown on the job, and its lines go again", () =>
      withJobs(Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.batches.script({ expireAfter: 0 })
        const { job, results } = yield* runJob([{ index: 1, question: "one", model }, { index: 2, question: "two", model }])
        expect([...results.values()].map((result) => result.status)).toEqual(["success", "success"])
        // OpenAI says the batch expired; Anthropic ends it with every line expired.
        expect(job.provider_batches.map((batch) => [batch.status, batch.failed]))
          .toEqual([[protocol === "openai" ? "expired" : "ended", 2], ["ended", 0]])
        expect(upstream.batches.created.map((batch) => batch.customIds.length)).toEqual([2, 2])
      })), 30_000)

    it.live("a batch the provider refuses as a whole fails its questions with the reason, shown on the job", () =>
      withJobs(Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.batches.script({ failValidation: "the model is not available on the Batch API" })
        const { job, results } = yield* runJob([{ index: 1, question: "refused", model }])
        expect(results.get(1)).toMatchObject({ status: "error", lane: "sync" })
        // OpenAI fails the batch after validating it; Anthropic refuses it at create (a 400).
        expect(results.get(1)!.error_message).toContain(protocol === "openai" ? "refused batch" : "not available")
        expect(job.provider_batches).toMatchObject([{ status: "failed", error: expect.stringContaining("not available") }])
      })), 30_000)
  })
}

describe("the batch lane: cost, budget, cache and auto", () => {
  const prices = { MODEL_PRICES: JSON.stringify({ [gpt]: { input_per_mtok: 1, output_per_mtok: 2 } }) }

  it.live("answers are priced at half the sync price, or at MODEL_PRICES' batch price", () =>
    withJobs(Effect.gen(function*() {
      const { job, results } = yield* runJob([
        { index: 1, question: "priced", model: gpt },
        { index: 2, question: "priced with its own batch price", model: "openai/own-batch-price" }
      ])
      // The fake reports 10 prompt and 5 completion tokens: (10·1 + 5·2) / 1e6 at full price.
      expect(results.get(1)!.cost_usd).toBeCloseTo(10e-6, 12)
      expect(results.get(2)!.cost_usd).toBeCloseTo((10 * 0.3 + 5 * 0.4) / 1e6, 12)
      expect(job.cost_usd).toBeCloseTo(10e-6 + 5e-6, 12)
    }), {
      MODEL_PRICES: JSON.stringify({
        [gpt]: { input_per_mtok: 1, output_per_mtok: 2 },
        "openai/own-batch-price": { input_per_mtok: 1, output_per_mtok: 2, batch_input_per_mtok: 0.3, batch_output_per_mtok: 0.4 }
      })
    }), 30_000)

  it.live("max_cost_usd is checked against a batch's worst case before it is sent", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Worst case of one line: ~3 prompt tokens + 1,000 max_tokens at $1/$2 per million, halved: ~$0.001.
      const { results } = yield* runJob([{ index: 1, question: "too dear", model: gpt, max_tokens: 1000 }], {
        max_cost_usd: 0.0001
      })
      expect(results.get(1)).toMatchObject({ status: "error" })
      expect(results.get(1)!.error_message).toContain("max_cost_usd")
      expect(upstream.batches.created).toHaveLength(0)
      expect(upstream.requests).toHaveLength(0)
    }), prices), 30_000)

  it.live("a cached answer is not sent; an answer from a batch is written to the cache", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const first = yield* runJob([{ index: 1, question: "cache me", model: gpt }])
      const second = yield* runJob([{ index: 1, question: "cache me", model: gpt }])
      expect(first.results.get(1)).toMatchObject({ status: "success", cached: false, lane: "batch" })
      expect(second.results.get(1)).toMatchObject({ status: "success", cached: true, result: "answer to: cache me" })
      expect(upstream.batches.created).toHaveLength(1)
    })), 30_000)

  it.live("auto: questions whose provider has a batch API go in batches, the rest the sync way", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const { results } = yield* runJob([
        { index: 1, question: "batched", model: gpt },
        { index: 2, question: "synced", model: "groq/llama-3.3-70b" }
      ], { lane: "auto" })
      expect(results.get(1)).toMatchObject({ status: "success", lane: "batch" })
      expect(results.get(2)).toMatchObject({ status: "success", lane: "sync" })
      expect(syncCalls(upstream).map((request) => request.body.model)).toEqual(["llama-3.3-70b"])
    })), 30_000)

  it.live("lane batch refuses a question whose provider has no batch API, naming it", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* Jobs
      const refused = yield* Effect.flip(jobs.submit({
        ...jobRequest([{ index: 1, question: "q", model: gpt }, { index: 7, question: "q", model: "groq/llama-3.3-70b" }]),
        lane: "batch"
      }, ""))
      expect(refused.message).toContain("questions[1] (index 7)")
      expect(refused.message).toContain('"lane": "auto"')
    })), 30_000)
})

describe("the batch lane: memory", () => {
  it.live("no more questions wait on provider batches at once than BATCH_MAX_WAITING: the rest go in later batches", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const { results } = yield* runJob(Array.from({ length: 5 }, (_, i) => ({ index: i + 1, question: `q${i + 1}`, model: gpt })))
      expect([...results.values()].every((result) => result.status === "success" && result.lane === "batch")).toBe(true)
      expect(upstream.batches.created.map((batch) => batch.customIds.length)).toEqual([2, 2, 1])
    }), { BATCH_MAX_WAITING: "2", BATCH_CHUNK_SIZE: "5" }), 30_000)
})
