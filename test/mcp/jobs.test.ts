/**
 * The batch job tools with the official MCP SDK client: `batch_estimate`, `batch_submit`, `batch_status`,
 * `batch_results` (paged) and `batch_cancel`, over Streamable HTTP (jobs bound to the caller's
 * key) and over stdio (`llm-batch mcp`, no key).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { JobEstimate } from "../../src/domain/Estimate.ts"
import { finishedStatuses, Job, JobResultsPage } from "../../src/domain/Job.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { connectHttp, connectStdio, errorText, eventually, type McpConnection, structured } from "../support/Mcp.ts"
import { scratchDataDir } from "../support/dataDir.ts"
import { fakeEnvironment, TestServer } from "../support/TestServer.ts"

const job = structured(Schema.decodeUnknownSync(Job, { onExcessProperty: "error" }))
const estimate = structured(Schema.decodeUnknownSync(JobEstimate, { onExcessProperty: "error" }))
const page = structured(Schema.decodeUnknownSync(JobResultsPage, { onExcessProperty: "error" }))

const call = (connection: McpConnection, name: string, args: Record<string, unknown>) =>
  Effect.promise(() => connection.client.callTool({ name, arguments: args }))

/** Polls `batch_status` until the job has ended (or 30 s pass). */
const untilEnded = (connection: McpConnection, id: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 30_000
    for (;;) {
      const status = job(yield* call(connection, "batch_status", { id }))
      if (finishedStatuses.has(status.status)) return status
      if (Date.now() > deadline) return yield* Effect.die(new Error(`job ${id} still ${status.status} after 30 s`))
      yield* Effect.sleep(25)
    }
  })

const http = (key?: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* connectHttp(server.url, key === undefined ? {} : { authorization: `Bearer ${key}` })
  })

const ten = { questions: Array.from({ length: 10 }, (_, i) => ({ index: i + 1, question: `item ${i + 1}` })) }

describe("MCP batch job tools over Streamable HTTP", () => {
  it.live("are listed with honest annotations, and say when to use a job instead of batch_ask", () =>
    Effect.gen(function*() {
      const connection = yield* http()
      const { tools } = yield* Effect.promise(() => connection.client.listTools())
      const annotations = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations]))
      expect(annotations["batch_submit"]).toMatchObject({ readOnlyHint: false, destructiveHint: false, openWorldHint: true })
      expect(annotations["batch_status"]).toMatchObject({ readOnlyHint: true, openWorldHint: false })
      expect(annotations["batch_results"]).toMatchObject({ readOnlyHint: true, openWorldHint: false })
      expect(annotations["batch_cancel"]).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true })
      const submit = tools.find((tool) => tool.name === "batch_submit")!
      expect(submit.description).toContain("instead of `batch_ask`")
      expect(submit.inputSchema).toMatchObject({ required: ["questions"], properties: { metadata: {}, lane: { default: "sync" } } })
      expect(submit.description).toContain("- `lane`: `sync`: each question is one call")
      expect(submit.outputSchema).toMatchObject({ required: expect.arrayContaining(["lane", "provider_batches"]) })
      expect(submit.outputSchema).toMatchObject({ required: expect.arrayContaining(["id", "status", "counts"]) })
      const results = tools.find((tool) => tool.name === "batch_results")!
      expect(Object.keys(results.inputSchema.properties ?? {}).sort()).toEqual(["id", "limit", "offset"])
      expect(results.outputSchema).toMatchObject({ required: ["results", "next_offset"] })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("batch_submit returns the Job; batch_status follows it to completed; batch_results pages through every result", () =>
    Effect.gen(function*() {
      const connection = yield* http()
      const submitted = job(yield* call(connection, "batch_submit", { ...ten, metadata: { via: "mcp" } }))
      expect(submitted).toMatchObject({ counts: { total: 10 }, metadata: { via: "mcp" } })
      const ended = yield* untilEnded(connection, submitted.id)
      expect(ended).toMatchObject({ status: "completed", lane: "sync", provider_batches: [] })
      expect(ended.counts).toMatchObject({ succeeded: 10, pending: 0 })
      const first = page(yield* call(connection, "batch_results", { id: submitted.id, limit: 4 }))
      expect(first.results).toHaveLength(4)
      expect(first.next_offset).toBe(4)
      const seen = [...first.results]
      let offset: number | null = first.next_offset
      while (offset !== null) {
        const next = page(yield* call(connection, "batch_results", { id: submitted.id, offset, limit: 4 }))
        seen.push(...next.results)
        offset = next.next_offset
      }
      expect(seen.map((r) => r.index).sort((a, b) => a - b)).toEqual(ten.questions.map((q) => q.index))
      expect(seen.every((r) => r.status === "success" && r.lane === "sync")).toBe(true)
    }).pipe(Effect.provide(TestServer.layer())), 60_000)

  it.live("batch_estimate takes batch_submit's arguments and answers the estimate, read-only, sending nothing", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const connection = yield* http()
      const { tools } = yield* Effect.promise(() => connection.client.listTools())
      const tool = tools.find((listed) => listed.name === "batch_estimate")!
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, openWorldHint: false })
      expect(tool.inputSchema).toMatchObject({ required: ["questions"], properties: { max_cost_usd: {}, lane: {} } })
      const chain = [1, 2, 3].map((index) => ({ index, question: index === 1 ? "Start" : `Go on: {Q${index - 1}_result}` }))
      const answer = estimate(yield* call(connection, "batch_estimate", { questions: chain, lane: "auto" }))
      expect(answer).toMatchObject({ questions: 3, waves: 3, lane: "auto" })
      expect(upstream.requests).toHaveLength(0)
      expect(errorText(yield* call(connection, "batch_estimate", { questions: [] }))).toContain("no questions")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("batch_submit takes the job's lane; batch_status shows it", () =>
    Effect.gen(function*() {
      const connection = yield* http()
      const submitted = job(yield* call(connection, "batch_submit", { questions: [{ index: 1, question: "q" }], lane: "auto" }))
      expect(submitted.lane).toBe("auto")
      expect(job(yield* call(connection, "batch_status", { id: submitted.id })).lane).toBe("auto")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("batch_cancel ends the unfinished questions as cancelled and interrupts the call in flight", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 30_000 })
      const connection = yield* http()
      const submitted = job(yield* call(connection, "batch_submit", { questions: [{ index: 1, question: "slow" }] }))
      yield* eventually(() => upstream.callsFor("slow").length === 1)
      const cancelled = job(yield* call(connection, "batch_cancel", { id: submitted.id }))
      expect(["cancelling", "cancelled"]).toContain(cancelled.status)
      expect((yield* untilEnded(connection, submitted.id)).status).toBe("cancelled")
      yield* eventually(() => upstream.aborted === 1)
      const { results } = page(yield* call(connection, "batch_results", { id: submitted.id }))
      expect(results.map((r) => [r.index, r.status])).toEqual([[1, "error"]])
      expect(results[0]!.error_message).toContain("cancelled")
    }).pipe(Effect.provide(TestServer.layer())), 60_000)

  it.live("a malformed batch or an unknown job is an error result that says what to fix", () =>
    Effect.gen(function*() {
      const connection = yield* http()
      const duplicate = errorText(
        yield* call(connection, "batch_submit", { questions: [{ index: 1, question: "a" }, { index: 1, question: "b" }] })
      )
      expect(duplicate).toContain("questions[1].index: index 1 is already used")
      expect(errorText(yield* call(connection, "batch_submit", { questions: [{ index: 1, question: "a" }], lane: "fast" })))
        .toContain('lane: expected "sync" | "batch" | "auto"')
      expect(errorText(yield* call(connection, "batch_status", { id: "batch_nope" }))).toContain("no batch job batch_nope")
      expect(errorText(yield* call(connection, "batch_results", { id: "batch_nope", limit: 0 }))).toContain("limit")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("with API_KEYS, a job belongs to the key whose session submitted it", () =>
    Effect.gen(function*() {
      const owner = yield* http("first-key-123")
      const other = yield* http("second-key-456")
      const submitted = job(yield* call(owner, "batch_submit", { questions: [{ index: 1, question: "mine" }] }))
      for (const name of ["batch_status", "batch_results", "batch_cancel"]) {
        expect(errorText(yield* call(other, name, { id: submitted.id })), name).toContain(`no batch job ${submitted.id}`)
      }
      expect((yield* untilEnded(owner, submitted.id)).status).toBe("completed")
    }).pipe(Effect.provide(TestServer.layer({ API_KEYS: "first-key-123,second-key-456" }))), 60_000)
})

describe("MCP batch job tools over stdio (llm-batch mcp)", () => {
  it.live("submit, status and results work with no key, the job stored in DATA_DIR", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const dataDir = yield* scratchDataDir
      const connection = yield* connectStdio({ ...fakeEnvironment(upstream.url), DATA_DIR: dataDir })
      const submitted = job(yield* call(connection, "batch_submit", ten))
      expect((yield* untilEnded(connection, submitted.id)).status).toBe("completed")
      const { next_offset, results } = page(yield* call(connection, "batch_results", { id: submitted.id }))
      expect(results).toHaveLength(10)
      expect(next_offset).toBeNull()
      expect(connection.transportErrors, connection.stderr()).toEqual([])
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)
})
