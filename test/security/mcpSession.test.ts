import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SessionOwners } from "../../src/mcp/sessionOwners.ts"
import { connectHttp, resultItem } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const owner = "Bearer owner-key-123"
const other = "Bearer other-key-456"

/** A raw request to /mcp: what a client holding a stolen session id would send. */
const mcp = (method: "POST" | "DELETE", authorization: string, body?: unknown, sessionId?: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.promise(async () => {
      const response = await fetch(`${server.url}/mcp`, {
        method,
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization,
          ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" })
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      return { status: response.status, sessionId: response.headers.get("mcp-session-id"), text: await response.text() }
    })
  })

const openSession = (authorization: string) =>
  Effect.gen(function*() {
    const opened = yield* mcp("POST", authorization, {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
    })
    expect(opened.status, opened.text).toBe(200)
    const sessionId = opened.sessionId!
    yield* mcp("POST", authorization, { jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)
    return sessionId
  })

const callAsk = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "ask", arguments: { question: "hi" } } }

const refusedAsUnknown = (answer: { readonly status: number; readonly text: string }) => {
  expect(answer.status).toBe(404)
  expect(JSON.parse(answer.text)).toEqual({
    error: "unknown MCP session for this API key; send initialize to open a new one"
  })
}

describe("MCP sessions with API_KEYS", () => {
  const withKeys = TestServer.layer({ API_KEYS: "owner-key-123,other-key-456" })

  it.live("another key can neither call tools in a session nor delete it", () =>
    Effect.gen(function*() {
      const sessionId = yield* openSession(owner)
      refusedAsUnknown(yield* mcp("POST", other, callAsk, sessionId))
      refusedAsUnknown(yield* mcp("DELETE", other, undefined, sessionId))
      const own = yield* mcp("POST", owner, callAsk, sessionId)
      expect(own.status).toBe(200)
      expect(own.text).toContain('\\"status\\":\\"success\\"')
    }).pipe(Effect.provide(withKeys)))

  it.live("the key that opened a session can delete it, and then it is gone for that key too", () =>
    Effect.gen(function*() {
      const sessionId = yield* openSession(owner)
      expect((yield* mcp("DELETE", owner, undefined, sessionId)).status).toBe(204)
      refusedAsUnknown(yield* mcp("POST", owner, callAsk, sessionId))
    }).pipe(Effect.provide(withKeys)))

  it.live("the official MCP client works through its session with its own key", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const { client } = yield* connectHttp(server.url, { authorization: other })
      const answer = yield* Effect.promise(() => client.callTool({ name: "ask", arguments: { question: "hi" } }))
      expect(resultItem(answer).status).toBe("success")
    }).pipe(Effect.provide(withKeys)))

  it.live("without API_KEYS a session is not bound to any key", () =>
    Effect.gen(function*() {
      const sessionId = yield* openSession("Bearer anything")
      expect((yield* mcp("POST", "Bearer something-else", callAsk, sessionId)).status).toBe(200)
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("SessionOwners", () => {
  const keyA = Buffer.alloc(32, 1)
  const keyB = Buffer.alloc(32, 2)

  it("keeps at most its bound, forgetting the least recently used session first", () => {
    const owners = new SessionOwners(2)
    owners.open("s1", keyA)
    owners.open("s2", keyA)
    expect(owners.isOwner("s1", keyA)).toBe(true)
    owners.open("s3", keyB)
    expect(owners.size).toBe(2)
    expect(owners.isOwner("s2", keyA)).toBe(false)
    expect(owners.isOwner("s1", keyA)).toBe(true)
    expect(owners.isOwner("s3", keyB)).toBe(true)
  })

  it("answers no for another key, a missing key and a forgotten session", () => {
    const owners = new SessionOwners(10)
    owners.open("s1", keyA)
    expect(owners.isOwner("s1", keyB)).toBe(false)
    expect(owners.isOwner("s1", undefined)).toBe(false)
    owners.forget("s1")
    expect(owners.isOwner("s1", keyA)).toBe(false)
    expect(owners.size).toBe(0)
  })
})
