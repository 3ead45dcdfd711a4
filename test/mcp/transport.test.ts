import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { connectHttp, eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const mcpHeaders = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream"
}

/** A raw JSON-RPC POST to /mcp, for what the SDK client would not send. */
const post = (body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.promise(() =>
      fetch(`${server.url}/mcp`, {
        method: "POST",
        headers: { ...mcpHeaders, ...headers },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {})
      })
    )
  })

const decodeInitialized = Schema.decodeUnknownSync(Schema.Struct({
  result: Schema.Struct({ protocolVersion: Schema.String, serverInfo: Schema.Struct({ name: Schema.String }) })
}))

const initialize = (protocolVersion: string, headers: Record<string, string> = {}) =>
  post({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion, capabilities: {}, clientInfo: { name: "raw", version: "1" } }
  }, headers)

describe("MCP HTTP transport", () => {
  it.live("refuses a request with a foreign Origin with 403, before any MCP handling", () =>
    Effect.gen(function*() {
      const refused = yield* initialize("2025-11-25", { origin: "http://evil.example" })
      expect(refused.status).toBe(403)
      expect(yield* Effect.promise(() => refused.text())).toContain("ALLOWED_ORIGINS")
      // A rebinding page keeps its own host name, even when it resolves to 127.0.0.1.
      expect((yield* initialize("2025-11-25", { origin: "http://attacker.test:8000" })).status).toBe(403)
      expect((yield* initialize("2025-11-25", { origin: "null" })).status).toBe(403)

      const server = yield* TestServer
      const sdk = yield* Effect.exit(connectHttp(server.url, { origin: "http://evil.example" }))
      expect(sdk._tag).toBe("Failure")
    }).pipe(Effect.scoped, Effect.provide(TestServer.layer())))

  it.live("accepts loopback origins on any port, and the origins listed in ALLOWED_ORIGINS (read under its old name MCP_ALLOWED_ORIGINS too)", () =>
    Effect.gen(function*() {
      for (const origin of ["http://localhost:6274", "http://127.0.0.1:5173", "http://[::1]:3000"]) {
        expect((yield* initialize("2025-11-25", { origin })).status, origin).toBe(200)
      }
      expect((yield* initialize("2025-11-25", { origin: "https://app.example.com" })).status).toBe(200)
      expect((yield* initialize("2025-11-25", { origin: "https://other.example.com" })).status).toBe(403)
    }).pipe(Effect.provide(TestServer.layer({ MCP_ALLOWED_ORIGINS: "https://app.example.com/" }))))

  it.live("speaks every protocol revision effect implements", () =>
    Effect.gen(function*() {
      for (const version of ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]) {
        const response = yield* initialize(version)
        const body = decodeInitialized(yield* Effect.promise(() => response.json()))
        expect(body.result.protocolVersion, version).toBe(version)
        expect(body.result.serverInfo.name).toBe("llm-batch")
      }
      // 2026-07-28 is sessionless: every request carries its version and capabilities.
      const modern = yield* post({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/list",
        params: {
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}
          }
        }
      }, { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" })
      const text = yield* Effect.promise(() => modern.text())
      expect(modern.status, text).toBe(200)
      expect(text).toContain("\"batch_ask\"")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a tools/call whose HTTP stream is closed interrupts its upstream requests", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 10_000 })
      const init = yield* initialize("2025-11-25")
      const session = { "mcp-session-id": init.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" }
      yield* post({ jsonrpc: "2.0", method: "notifications/initialized" }, session)
      const controller = new AbortController()
      const call = yield* post({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: {
          name: "batch_ask",
          arguments: { questions: [{ index: 1, question: "slow a" }, { index: 2, question: "slow b" }] },
          _meta: { progressToken: "p" }
        }
      }, session, controller.signal).pipe(Effect.forkChild)
      yield* eventually(() => upstream.requests.length === 2)
      // No notifications/cancelled: the client just goes away.
      controller.abort()
      yield* eventually(() => upstream.aborted === 2)
      expect(call).toBeDefined()
    }).pipe(Effect.provide(TestServer.layer())))
})
