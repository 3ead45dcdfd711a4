/**
 * Identity comes only from the authenticated transport (issue 23). effect's RpcServer merges an
 * RPC message's own `headers` field over the HTTP request's headers; the service must not take the
 * caller from that merge: key B naming key A (or invented keys) in its messages reads nothing of
 * A's and gets no extra fair share. The field, when malformed, is a 400 rather than a defect.
 */
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { Job } from "../../src/domain/Job.ts"
import { LlmBatchClient } from "../../src/rpc/client.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { connectHttp, eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const keyA = "first-key-123"
const keyB = "second-key-456"

/** One raw RPC request message: what the typed client would send, with any `headers` field. */
const message = (id: string, tag: string, payload: unknown, headers: unknown = []) =>
  JSON.stringify({ _tag: "Request", id, tag, payload, headers }) + "\n"

const postRpc = (key: string, body: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.promise(async () => {
      const response = await fetch(`${server.url}/rpc`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson", authorization: `Bearer ${key}` },
        body
      })
      return { status: response.status, text: await response.text() }
    })
  })

const ExitLine = Schema.Struct({ _tag: Schema.Literal("Exit"), exit: Schema.Struct({ _tag: Schema.String }) })
const exitTag = (text: string) => Schema.decodeUnknownSync(Schema.fromJsonString(ExitLine))(text.trim()).exit._tag

const submitAsA = Effect.gen(function*() {
  const server = yield* TestServer
  const context = yield* Layer.build(LlmBatchClient.layer({ url: `${server.url}/rpc`, apiKey: keyA }))
  return yield* Context.get(context, LlmBatchClient).Submit({ questions: [{ index: 1, question: "secret of A" }] })
})

layer(
  TestServer.layer({ API_KEYS: `${keyA},${keyB}`, LLM_CONCURRENCY: "1", BATCH_CONCURRENCY: "1" }),
  { excludeTestServices: true, timeout: "60 seconds" }
)("RPC identity with API_KEYS", (it) => {
  it.effect("key B naming key A's authorization in its message headers cannot read or cancel A's job", () =>
    Effect.gen(function*() {
      const job: Job = yield* submitAsA
      for (const headers of [[["authorization", `Bearer ${keyA}`]], [["Authorization", `bearer ${keyA}`]]]) {
        for (const tag of ["Status", "Cancel"]) {
          const answer = yield* postRpc(keyB, message("1", tag, { id: job.id }, headers))
          expect(answer.status).toBe(200)
          expect(answer.text, tag).toContain("JobNotFoundError")
          expect(answer.text, tag).not.toContain("secret")
        }
      }
      // The same message over A's own key is A's.
      const own = yield* postRpc(keyA, message("1", "Status", { id: job.id }))
      expect(exitTag(own.text)).toBe("Success")
      expect(own.text).toContain(job.id)
    }).pipe(Effect.scoped))

  it.effect("invented keys in message headers give key B no extra fair share: A's one question is sent after at most two calls of B's", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const server = yield* TestServer
      upstream.always("bulk", { delayMs: 400 })
      // Four batches from key B, each naming a different invented key as its caller.
      const body = [1, 2, 3, 4].map((n) =>
        message(`${n}`, "Ask", { questions: [1, 2].map((k) => ({ index: k, question: `bulk ${n}.${k}` })) }, [[
          "authorization",
          `Bearer invented-${n}`
        ]])
      ).join("")
      void fetch(`${server.url}/rpc`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson", authorization: `Bearer ${keyB}` },
        body
      }).then((response) => response.text(), () => "")
      yield* eventually(() => upstream.callsFor("bulk").length === 1)
      const alone = yield* Effect.promise(() =>
        fetch(`${server.url}/ask`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${keyA}` },
          body: JSON.stringify({ questions: [{ index: 1, question: "alone" }] })
        })
      )
      expect(alone.status).toBe(200)
      // One slot, two callers in turn: A joins the round behind B, so B's running call and B's next
      // one come first, then A's. Were each invented key a caller, A would wait behind all four.
      const order = upstream.requests.map((request) => request.prompt).filter((prompt) => /bulk|alone/.test(prompt))
      expect(order.indexOf("alone"), order.join(", ")).toBeLessThanOrEqual(2)
    }))

  it.effect("over MCP too, each key is its own caller at the upstream slots: A's one question is not queued behind B's batches", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const server = yield* TestServer
      upstream.always("mcp bulk", { delayMs: 400 })
      const b = yield* connectHttp(server.url, { authorization: `Bearer ${keyB}` })
      const a = yield* connectHttp(server.url, { authorization: `Bearer ${keyA}` })
      for (const n of [1, 2, 3]) {
        const questions = [1, 2].map((k) => ({ index: k, question: `mcp bulk ${n}.${k}` }))
        void b.client.callTool({ name: "batch_ask", arguments: { questions } }).catch(() => undefined)
      }
      yield* eventually(() => upstream.callsFor("mcp bulk").length === 1)
      yield* Effect.promise(() => a.client.callTool({ name: "ask", arguments: { question: "mcp alone" } }))
      // B's running call and B's next, then A's; as one caller, A's batch would take its turn after
      // each of B's.
      const order = upstream.requests.map((request) => request.prompt).filter((prompt) => prompt.startsWith("mcp "))
      expect(order.indexOf("mcp alone"), order.join(", ")).toBeLessThanOrEqual(2)
    }).pipe(Effect.scoped))

  it.effect("a malformed message `headers` (an object, a number, a list of non-pairs) is a 400 {\"error\"}", () =>
    Effect.gen(function*() {
      for (const headers of [{ authorization: `Bearer ${keyA}` }, 7, "x", [["a"]], [[1, 2]]]) {
        const answer = yield* postRpc(keyB, message("1", "Status", { id: "batch_nope" }, headers))
        expect(answer.status, JSON.stringify(headers)).toBe(400)
        expect(JSON.parse(answer.text), JSON.stringify(headers)).toEqual({ error: expect.stringContaining("headers") })
      }
      const notJson = yield* postRpc(keyB, "{not json\n")
      expect(notJson.status).toBe(400)
      expect(JSON.parse(notJson.text)).toEqual({ error: expect.stringContaining("line 1") })
    }))

  it.effect("on /mcp too, a malformed JSON-RPC `headers` field is a 400 {\"error\"}, not a 500", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      for (const headers of [7, { authorization: `Bearer ${keyA}` }]) {
        const answer = yield* Effect.promise(async () => {
          const response = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              authorization: `Bearer ${keyB}`
            },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: 1,
              method: "initialize",
              headers,
              params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
            })
          })
          return { status: response.status, text: await response.text() }
        })
        expect(answer.status, JSON.stringify(headers)).toBe(400)
        expect(JSON.parse(answer.text)).toEqual({ error: expect.stringContaining("headers") })
      }
    }))
})
