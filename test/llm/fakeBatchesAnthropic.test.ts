/**
 * The fake upstream's Anthropic Message Batches API, driven by the real `@anthropic-ai/sdk`, so the
 * batch lane's tests run against a fake known to match what the SDK sends and expects.
 */
import Anthropic from "@anthropic-ai/sdk"
import type { MessageBatchIndividualResponse } from "@anthropic-ai/sdk/resources/messages/batches"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream, type FakeUpstreamState } from "../support/FakeUpstream.ts"

const withFake = (body: (upstream: FakeUpstreamState) => Promise<void>) =>
  Effect.gen(function*() {
    const upstream = yield* FakeUpstream
    yield* Effect.promise(() => body(upstream))
  }).pipe(Effect.provide(FakeUpstream.layer))

const clientOf = (upstream: FakeUpstreamState) => new Anthropic({ baseURL: upstream.url, apiKey: "k", maxRetries: 0 })

const failure = (promise: Promise<unknown>) =>
  promise.then(() => expect.unreachable("the call succeeded"), (error: unknown) => error)

/** Creates a batch of one request per prompt (custom_id = the prompt). */
const submit = (client: Anthropic, prompts: ReadonlyArray<string>) =>
  client.messages.batches.create({
    requests: prompts.map((prompt) => ({
      custom_id: prompt,
      params: { model: "claude-test", max_tokens: 100, messages: [{ role: "user", content: prompt }] }
    }))
  })

const results = async (client: Anthropic, id: string) => {
  const lines: Array<MessageBatchIndividualResponse> = []
  for await (const line of await client.messages.batches.results(id)) lines.push(line)
  return lines
}

const byId = (lines: ReadonlyArray<MessageBatchIndividualResponse>) =>
  Object.fromEntries(lines.map((line) => [line.custom_id, line.result]))

describe("fake upstream: Anthropic message batches", () => {
  it.live("each request is answered by its prompt's script; the batch ends at the first retrieve", () =>
    withFake(async (upstream) => {
      upstream.script("a-2", { text: "scripted", finishReason: "max_tokens" })
      upstream.script("a-3", { status: 429 })
      upstream.script("a-4", { batchExpired: true })
      const client = clientOf(upstream)
      const created = await submit(client, ["a-1", "a-2", "a-3", "a-4"])
      expect(created).toMatchObject({ type: "message_batch", processing_status: "in_progress", results_url: null })
      expect(created.request_counts).toEqual({ processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 })
      const batch = await client.messages.batches.retrieve(created.id)
      expect(batch.processing_status).toBe("ended")
      expect(batch.ended_at).not.toBeNull()
      expect(batch.results_url).toBe(`${upstream.url}/v1/messages/batches/${created.id}/results`)
      expect(batch.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 1 })
      const result = byId(await results(client, created.id))
      expect(result["a-1"]).toMatchObject({ type: "succeeded", message: { content: [{ type: "text", text: "answer to: a-1" }] } })
      expect(result["a-2"]).toMatchObject({ type: "succeeded", message: { stop_reason: "max_tokens" } })
      expect(result["a-3"]).toMatchObject({ type: "errored", error: { type: "error", error: { type: "rate_limit_error" } } })
      expect(result["a-4"]).toEqual({ type: "expired" })
      expect(upstream.callsFor("a-1")).toEqual([expect.objectContaining({ protocol: "anthropic", batchId: created.id })])
      expect(upstream.batches.batchesCreated).toEqual({ openai: 0, anthropic: 1 })
      expect(upstream.batches.uploadedBytes.anthropic).toBeGreaterThan(0)
    }))

  it.live("results come in an order other than the input's", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      const prompts = ["o-1", "o-2", "o-3", "o-4", "o-5"]
      const { id } = await submit(client, prompts)
      const order = (await results(client, id)).map((line) => line.custom_id)
      expect([...order].sort()).toEqual(prompts)
      expect(order).not.toEqual(prompts)
    }))

  it.live("a batch scripted with a turnaround of 3 retrieves is in progress, half done, with no results yet", () =>
    withFake(async (upstream) => {
      upstream.batches.script({ turnaround: { retrieves: 3 } })
      const client = clientOf(upstream)
      const { id } = await submit(client, ["t-1", "t-2"])
      const first = await client.messages.batches.retrieve(id)
      expect(first).toMatchObject({ processing_status: "in_progress", results_url: null })
      expect(first.request_counts).toMatchObject({ processing: 1, succeeded: 1 })
      expect(await failure(client.messages.batches.results(id))).toBeInstanceOf(Anthropic.AnthropicError)
      expect((await client.messages.batches.retrieve(id)).processing_status).toBe("ended")
    }))

  it.live("a cancelled batch is canceling, then ended with its unanswered requests canceled", () =>
    withFake(async (upstream) => {
      upstream.batches.turnaround = { retrieves: 3 }
      const client = clientOf(upstream)
      const { id } = await submit(client, ["c-1", "c-2", "c-3", "c-4"])
      await client.messages.batches.retrieve(id)
      const canceling = await client.messages.batches.cancel(id)
      expect(canceling.processing_status).toBe("canceling")
      expect(canceling.cancel_initiated_at).not.toBeNull()
      const batch = await client.messages.batches.retrieve(id)
      expect(batch.processing_status).toBe("ended")
      expect(batch.request_counts).toMatchObject({ succeeded: 2, canceled: 2 })
      const result = byId(await results(client, id))
      expect([result["c-3"], result["c-4"]]).toEqual([{ type: "canceled" }, { type: "canceled" }])
      expect(upstream.batches.cancels).toEqual([{ protocol: "anthropic", id }])
      expect(upstream.callsFor("c-3")).toHaveLength(0)
    }))

  it.live("a batch scripted to expire ends with its unanswered requests expired", () =>
    withFake(async (upstream) => {
      upstream.batches.script({ expireAfter: 1 })
      const client = clientOf(upstream)
      const { id } = await submit(client, ["e-1", "e-2"])
      expect((await client.messages.batches.retrieve(id)).request_counts).toMatchObject({ succeeded: 1, expired: 1 })
      expect(byId(await results(client, id))["e-2"]).toEqual({ type: "expired" })
    }))

  it.live("list pages newest first", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      const ids = []
      for (const prompt of ["l-1", "l-2", "l-3"]) ids.push((await submit(client, [prompt])).id)
      const listed = []
      for await (const batch of client.messages.batches.list({ limit: 2 })) listed.push(batch.id)
      expect(listed).toEqual([...ids].reverse())
    }))

  it.live("a scripted HTTP error answers the next create once; then creates succeed", () =>
    withFake(async (upstream) => {
      upstream.batches.failNext("anthropic.batches.create", 500)
      const client = clientOf(upstream)
      expect(await failure(submit(client, ["f-1"]))).toMatchObject({ status: 500 })
      await submit(client, ["f-1"])
      expect(upstream.batches.batchesCreated.anthropic).toBe(1)
    }))

  it.live("too many requests, too many bytes, a duplicate custom_id or a scripted refusal are refused at create", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      expect(await failure(submit(client, ["dup", "dup"]))).toMatchObject({ status: 400 })
      upstream.batches.script({ failValidation: "model not allowed" })
      expect(await failure(submit(client, ["v-1"]))).toMatchObject({ status: 400, error: { error: { message: "model not allowed" } } })
      upstream.batches.maxRequests = 1
      expect(await failure(submit(client, ["m-1", "m-2"]))).toMatchObject({ status: 400 })
      upstream.batches.maxBytes = 10
      expect(await failure(submit(client, ["m-3"]))).toMatchObject({ status: 413, error: { error: { type: "request_too_large" } } })
      expect(upstream.batches.batchesCreated.anthropic).toBe(0)
    }))

  it.live("an unknown batch is 404", () =>
    withFake(async (upstream) => {
      expect(await failure(clientOf(upstream).messages.batches.retrieve("msgbatch_nope"))).toMatchObject({ status: 404 })
    }))
})
