/**
 * The fake upstream's OpenAI Files and Batch APIs, driven by the real `openai` SDK, so the batch
 * lane's tests run against a fake known to match what the SDK sends and expects. (Anthropic's
 * message batches: fakeBatchesAnthropic.test.ts.)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import OpenAI, { toFile } from "openai"
import { FakeUpstream, type FakeUpstreamState } from "../support/FakeUpstream.ts"

/** Runs `body` against a fresh fake. */
const withFake = (body: (upstream: FakeUpstreamState) => Promise<void>) =>
  Effect.gen(function*() {
    const upstream = yield* FakeUpstream
    yield* Effect.promise(() => body(upstream))
  }).pipe(Effect.provide(FakeUpstream.layer))

const clientOf = (upstream: FakeUpstreamState) =>
  new OpenAI({ baseURL: `${upstream.url}/openai/v1`, apiKey: "k", maxRetries: 0 })

/** The error a call fails with (it must fail). */
const failure = (promise: Promise<unknown>) =>
  promise.then(() => expect.unreachable("the call succeeded"), (error: unknown) => error)

const line = (prompt: string) => ({
  custom_id: prompt,
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }] }
})

const upload = async (client: OpenAI, text: string) =>
  client.files.create({ file: await toFile(Buffer.from(text), "batch.jsonl"), purpose: "batch" })

const jsonl = (prompts: ReadonlyArray<string>) => prompts.map((p) => `${JSON.stringify(line(p))}\n`).join("")

/** Uploads one line per prompt (custom_id = the prompt) and creates the batch. */
const submit = async (client: OpenAI, prompts: ReadonlyArray<string>, metadata?: Record<string, string>) => {
  const file = await upload(client, jsonl(prompts))
  const params = { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" } as const
  return client.batches.create(metadata === undefined ? params : { ...params, metadata })
}

/** The parts of a chat completion (or an error body) the tests read. */
interface ResponseBody {
  readonly object?: string
  readonly choices: ReadonlyArray<{
    readonly message: { readonly content: string }
    readonly finish_reason: string
    readonly logprobs: { readonly content: ReadonlyArray<{ readonly logprob: number }> } | null
  }>
}

interface ResultLine {
  readonly custom_id: string
  readonly response: { readonly status_code: number; readonly body: ResponseBody } | null
  readonly error: { readonly code: string } | null
}

const fileLines = async (client: OpenAI, id: string | null | undefined): Promise<ReadonlyArray<ResultLine>> => {
  if (id === null || id === undefined) return []
  const text = await (await client.files.content(id)).text()
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
}

const byId = (lines: ReadonlyArray<ResultLine>) => Object.fromEntries(lines.map((l) => [l.custom_id, l]))

describe("fake upstream: OpenAI batches", () => {
  it.live("an uploaded batch file is stored, counted and served back", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      const text = jsonl(["up-1", "up-2"])
      const file = await upload(client, text)
      expect(file).toMatchObject({ object: "file", bytes: Buffer.byteLength(text), filename: "batch.jsonl", purpose: "batch" })
      expect(upstream.batches.uploadedBytes.openai).toBe(Buffer.byteLength(text))
      expect(await (await client.files.content(file.id)).text()).toBe(text)
      expect(await client.files.retrieve(file.id)).toMatchObject({ id: file.id, status: "processed" })
    }))

  it.live("each line is answered by its prompt's script; failures go to the error file", () =>
    withFake(async (upstream) => {
      upstream.script("ok-2", { text: "scripted", finishReason: "length", logprobs: [-0.5] })
      upstream.script("ok-3", { status: 400 })
      const client = clientOf(upstream)
      const created = await submit(client, ["ok-1", "ok-2", "ok-3"])
      expect(created).toMatchObject({ object: "batch", status: "validating", endpoint: "/v1/chat/completions" })
      const batch = await client.batches.retrieve(created.id)
      expect(batch.status).toBe("completed")
      expect(batch.request_counts).toEqual({ total: 3, completed: 2, failed: 1 })
      const output = byId(await fileLines(client, batch.output_file_id))
      expect(Object.keys(output).sort()).toEqual(["ok-1", "ok-2"])
      expect(output["ok-1"]!.response!.body.choices[0]?.message.content).toBe("answer to: ok-1")
      expect(output["ok-2"]!.response).toMatchObject({ status_code: 200, body: { object: "chat.completion" } })
      expect(output["ok-2"]!.response!.body.choices[0]).toMatchObject({ message: { content: "scripted" }, finish_reason: "length" })
      expect(output["ok-2"]!.response!.body.choices[0]?.logprobs?.content[0]?.logprob).toBe(-0.5)
      const errors = await fileLines(client, batch.error_file_id)
      expect(errors).toEqual([expect.objectContaining({ custom_id: "ok-3", error: null })])
      expect(errors[0]!.response).toMatchObject({ status_code: 400, body: { error: { message: "fake error 400" } } })
      expect(upstream.callsFor("ok-1")).toEqual([expect.objectContaining({ batchId: created.id, path: "/v1/chat/completions" })])
      expect(upstream.batches.batchesCreated).toEqual({ openai: 1, anthropic: 0 })
      expect(upstream.batches.created.map((b) => b.customIds)).toEqual([["ok-1", "ok-2", "ok-3"]])
    }))

  it.live("a prompt scripted once answers the same in the synchronous and the batch lane", () =>
    withFake(async (upstream) => {
      upstream.always("shared", { text: "same answer" })
      const client = clientOf(upstream)
      const sync = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "shared" }] })
      const batch = await client.batches.retrieve((await submit(client, ["shared"])).id)
      const [result] = await fileLines(client, batch.output_file_id)
      expect(result!.response!.body.choices[0]?.message.content).toBe(sync.choices[0]!.message.content)
      expect(upstream.callsFor("shared").map((r) => r.batchId)).toEqual([undefined, batch.id])
    }))

  it.live("results come in an order other than the input's", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      const prompts = ["o-1", "o-2", "o-3", "o-4", "o-5"]
      const batch = await client.batches.retrieve((await submit(client, prompts)).id)
      const order = (await fileLines(client, batch.output_file_id)).map((l) => l.custom_id)
      expect([...order].sort()).toEqual(prompts)
      expect(order).not.toEqual(prompts)
    }))

  it.live("with a turnaround of 3 retrieves a batch is in_progress, then finalizing, then completed", () =>
    withFake(async (upstream) => {
      upstream.batches.turnaround = { retrieves: 3 }
      const client = clientOf(upstream)
      const { id } = await submit(client, ["t-1", "t-2", "t-3", "t-4"])
      const seen = []
      for (let i = 0; i < 3; i++) {
        const batch = await client.batches.retrieve(id)
        seen.push([batch.status, batch.request_counts?.completed])
      }
      expect(seen).toEqual([["in_progress", 2], ["finalizing", 4], ["completed", 4]])
    }))

  it.live("a turnaround in ms ends a batch once that time has passed, whether it is retrieved or listed", () =>
    withFake(async (upstream) => {
      upstream.batches.turnaround = { ms: 60_000 }
      const client = clientOf(upstream)
      const { id } = await submit(client, ["ms-1", "ms-2"])
      await client.batches.retrieve(id)
      expect(await client.batches.retrieve(id)).toMatchObject({ status: "in_progress", request_counts: { completed: 0 } })
      upstream.batches.turnaround = { ms: 0 }
      expect((await client.batches.list()).data[0]).toMatchObject({ id, status: "completed" })
    }))

  it.live("a cancelled batch keeps its answered lines; the rest never run and are batch_cancelled", () =>
    withFake(async (upstream) => {
      upstream.batches.turnaround = { retrieves: 3 }
      const client = clientOf(upstream)
      const { id } = await submit(client, ["c-1", "c-2", "c-3", "c-4"])
      await client.batches.retrieve(id)
      expect(await client.batches.cancel(id)).toMatchObject({ status: "cancelling" })
      const batch = await client.batches.retrieve(id)
      expect(batch).toMatchObject({ status: "cancelled", request_counts: { total: 4, completed: 2, failed: 2 } })
      expect((await fileLines(client, batch.output_file_id)).map((l) => l.custom_id).sort()).toEqual(["c-1", "c-2"])
      const errors = byId(await fileLines(client, batch.error_file_id))
      expect(errors["c-3"]).toMatchObject({ response: null, error: { code: "batch_cancelled" } })
      expect(upstream.callsFor("c-4")).toHaveLength(0)
      expect(upstream.batches.cancels).toEqual([{ protocol: "openai", id }])
    }))

  it.live("cancelling a batch that has completed is refused with 400", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      const { id } = await submit(client, ["done-1"])
      await client.batches.retrieve(id)
      expect(await failure(client.batches.cancel(id))).toMatchObject({ status: 400 })
    }))

  it.live("a batch scripted to expire ends expired: unanswered lines are batch_expired in the error file", () =>
    withFake(async (upstream) => {
      upstream.batches.script({ expireAfter: 1 })
      const client = clientOf(upstream)
      const batch = await client.batches.retrieve((await submit(client, ["e-1", "e-2", "e-3"])).id)
      expect(batch).toMatchObject({ status: "expired", request_counts: { total: 3, completed: 1, failed: 2 } })
      expect((await fileLines(client, batch.output_file_id)).map((l) => l.custom_id)).toEqual(["e-1"])
      const errors = await fileLines(client, batch.error_file_id)
      expect(errors.map((l) => [l.custom_id, l.error?.code]).sort()).toEqual([["e-2", "batch_expired"], ["e-3", "batch_expired"]])
    }))

  it.live("a line scripted batchExpired expires while the batch completes", () =>
    withFake(async (upstream) => {
      upstream.script("late", { batchExpired: true })
      const client = clientOf(upstream)
      const batch = await client.batches.retrieve((await submit(client, ["late", "fine"])).id)
      expect(batch).toMatchObject({ status: "completed", request_counts: { completed: 1, failed: 1 } })
      expect(await fileLines(client, batch.error_file_id)).toEqual([
        { id: expect.any(String), custom_id: "late", response: null, error: expect.objectContaining({ code: "batch_expired" }) }
      ])
    }))

  it.live("a malformed input line or a scripted refusal fails validation with errors.data", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      const file = await upload(client, `${JSON.stringify(line("v-1"))}\nnot json\n`)
      const params = { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" } as const
      const bad = await client.batches.retrieve((await client.batches.create(params)).id)
      expect(bad).toMatchObject({ status: "failed", output_file_id: null, error_file_id: null })
      expect(bad.errors?.data).toEqual([expect.objectContaining({ code: "invalid_json_line", line: 2 })])
      upstream.batches.script({ failValidation: "model not allowed" })
      const refused = await client.batches.retrieve((await submit(client, ["v-2"])).id)
      expect(refused.errors?.data?.[0]?.message).toBe("model not allowed")
      expect(upstream.callsFor("v-")).toHaveLength(0)
    }))

  it.live("list pages newest first, so a batch is found by its metadata", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      for (const job of ["a", "b", "c"]) await submit(client, [`l-${job}`], { job })
      const found = []
      for await (const batch of client.batches.list({ limit: 2 })) found.push(batch.metadata?.job)
      expect(found).toEqual(["c", "b", "a"])
      const firstPage = await client.batches.list({ limit: 2 })
      expect(firstPage.data).toHaveLength(2)
      expect(firstPage.has_more).toBe(true)
    }))

  it.live("a scripted HTTP error answers the next create once; then creates succeed", () =>
    withFake(async (upstream) => {
      upstream.batches.failNext("openai.batches.create", 429)
      const client = clientOf(upstream)
      expect(await failure(submit(client, ["f-1"]))).toMatchObject({ status: 429, error: { type: "rate_limit_error" } })
      await submit(client, ["f-1"])
      expect(upstream.batches.batchesCreated.openai).toBe(1)
      expect(upstream.batches.calls.filter((c) => c.route === "openai.batches.create")).toHaveLength(2)
    }))

  it.live("more requests or bytes than the limits are refused with 400", () =>
    withFake(async (upstream) => {
      const client = clientOf(upstream)
      upstream.batches.maxRequests = 2
      expect(await failure(submit(client, ["m-1", "m-2", "m-3"]))).toMatchObject({ status: 400 })
      upstream.batches.maxBytes = 10
      expect(await failure(upload(client, jsonl(["m-4"])))).toMatchObject({ status: 400, code: "file_too_large" })
      expect(upstream.batches.batchesCreated.openai).toBe(0)
    }))

  it.live("an unknown batch is 404", () =>
    withFake(async (upstream) => {
      expect(await failure(clientOf(upstream).batches.retrieve("batch_nope"))).toMatchObject({ status: 404 })
    }))

  it.live("httpErrorsInOutputFile puts non-2xx lines in the output file; batchRawLine is written verbatim", () =>
    withFake(async (upstream) => {
      upstream.batches.httpErrorsInOutputFile = true
      upstream.script("h-1", { status: 500 })
      upstream.script("h-2", { batchRawLine: "{not json" })
      const client = clientOf(upstream)
      const batch = await client.batches.retrieve((await submit(client, ["h-1", "h-2"])).id)
      expect(batch.error_file_id).toBeNull()
      const text = await (await client.files.content(batch.output_file_id!)).text()
      expect(text.split("\n")).toContain("{not json")
      expect(text).toContain("\"status_code\":500")
    }))
})
