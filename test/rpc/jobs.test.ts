/**
 * Batch jobs through the typed RPC client (`llm-batch/client`, from the sources): Estimate, Submit,
 * Status, Results (a stream, followed to the end) and Cancel, with typed failures.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Stream } from "effect"
import { finishedStatuses } from "../../src/domain/Job.ts"
import { LlmBatchClient } from "../../src/rpc/client.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const rpcClient = (apiKey?: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    const context = yield* Layer.build(LlmBatchClient.layer({ url: `${server.url}/rpc`, apiKey }))
    return Context.get(context, LlmBatchClient)
  })

describe("batch jobs over Effect RPC", () => {
  it.live("Submit stores a job written like POST /batches's body; Results follows it to its end; Status says completed", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const client = yield* rpcClient()
      const job = yield* client.Submit({
        questions: [
          { index: 1, question: "What is the capital of France?", method: "sequential" },
          { index: 2, question: "What is the population of {Q1_result}?", method: "sequential", temperature: 0.5 }
        ],
        metadata: { via: "rpc" }
      })
      expect(job).toMatchObject({ counts: { total: 2 }, metadata: { via: "rpc" } })
      // Followed: the stream ends when the job does, with every result.
      const results = yield* client.Results({ id: job.id, follow: true }).pipe(Stream.runCollect)
      expect(results.map((r) => [r.index, r.status, r.result, r.lane])).toEqual([
        [1, "success", "Paris", "sync"],
        [2, "success", "answer to: What is the population of Paris?", "sync"]
      ])
      expect(upstream.callsFor("population")[0]!.body.temperature).toBe(0.5)
      expect(yield* client.Status({ id: job.id })).toMatchObject({
        status: "completed",
        counts: { succeeded: 2 },
        lane: "sync",
        provider_batches: []
      })
    }).pipe(Effect.provide(TestServer.layer())), 60_000)

  it.live("Submit takes the job's lane; Status shows it", () =>
    Effect.gen(function*() {
      const client = yield* rpcClient()
      const job = yield* client.Submit({ questions: [{ index: 1, question: "on the batch lane" }], lane: "batch" })
      expect(job.lane).toBe("batch")
      expect((yield* client.Status({ id: job.id })).lane).toBe("batch")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("Estimate answers with the job's estimate and sends nothing; a bad job is a typed InvalidBatchError", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const client = yield* rpcClient()
      // o200k_base: 3 + (3 + 1 + 7) tokens, "What is the capital of France?" being 7.
      const estimate = yield* client.Estimate({
        questions: [{ index: 1, question: "What is the capital of France?", model: "openai/gpt-4o-mini" }],
        max_cost_usd: 0.000001
      })
      expect(estimate).toMatchObject({ questions: 1, waves: 1, prompt_tokens: { min: 14, max: 14 } })
      expect(estimate.budget).toMatchObject({ exceeded: true })
      const cycle = yield* Effect.flip(client.Estimate({
        questions: [{ index: 1, question: "uses {Q2_result}" }, { index: 2, question: "uses {Q1_result}" }]
      }))
      expect(cycle._tag).toBe("InvalidBatchError")
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("Cancel ends the job: its unfinished question is an error `cancelled`", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 30_000 })
      const client = yield* rpcClient()
      const job = yield* client.Submit({ questions: [{ index: 1, question: "slow" }] })
      yield* eventually(() => upstream.callsFor("slow").length === 1)
      const cancelled = yield* client.Cancel({ id: job.id })
      expect(["cancelling", "cancelled"]).toContain(cancelled.status)
      const results = yield* client.Results({ id: job.id, follow: true }).pipe(Stream.runCollect)
      expect(results.map((r) => [r.index, r.status])).toEqual([[1, "error"]])
      expect(results[0]!.error_message).toContain("cancelled")
      const ended = yield* client.Status({ id: job.id })
      expect(finishedStatuses.has(ended.status) && ended.status).toBe("cancelled")
      yield* eventually(() => upstream.aborted === 1)
    }).pipe(Effect.provide(TestServer.layer())), 60_000)

  it.live("fails with a typed InvalidBatchError for a bad job and JobNotFoundError for another key's job", () =>
    Effect.gen(function*() {
      const owner = yield* rpcClient("first-key-123")
      const other = yield* rpcClient("second-key-456")
      const cycle = yield* Effect.flip(owner.Submit({
        questions: [{ index: 1, question: "uses {Q2_result}" }, { index: 2, question: "uses {Q1_result}" }]
      }))
      expect(cycle._tag).toBe("InvalidBatchError")
      expect(cycle.message).toContain("cycle")
      const job = yield* owner.Submit({ questions: [{ index: 1, question: "mine" }] })
      for (const failure of [
        yield* Effect.flip(other.Status({ id: job.id })),
        yield* Effect.flip(other.Cancel({ id: job.id })),
        yield* Effect.flip(other.Results({ id: job.id }).pipe(Stream.runDrain))
      ]) {
        expect(failure._tag).toBe("JobNotFoundError")
        expect(failure.message).toContain(`no batch job ${job.id}`)
      }
      expect((yield* owner.Status({ id: job.id })).id).toBe(job.id)
    }).pipe(Effect.provide(TestServer.layer({ API_KEYS: "first-key-123,second-key-456" }))), 60_000)
})
