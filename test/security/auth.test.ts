import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { allTools, connectHttp, resultItem } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const batch = { questions: [{ index: 1, question: "hello" }] }
const protectedPaths = ["/ask", "/ask/stream", "/rpc", "/mcp"]

describe("inbound auth with API_KEYS", () => {
  const withKeys = TestServer.layer({ API_KEYS: "first-key-123, second-key-456" })

  for (const path of protectedPaths) {
    it.live(`answers 401 on ${path} without a key`, () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const answer = yield* server.post(path, batch)
        expect(answer.status).toBe(401)
        expect(answer.headers.get("www-authenticate")).toBe("Bearer")
        expect((answer.body as { error: string }).error).toContain("Authorization: Bearer")
      }).pipe(Effect.provide(withKeys)))

    it.live(`answers 401 on ${path} with a wrong key`, () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const answer = yield* server.post(path, batch, {
          headers: { "content-type": "application/json", authorization: "Bearer first-key-12" }
        })
        expect(answer.status).toBe(401)
        expect((answer.body as { error: string }).error).toBe("invalid API key")
      }).pipe(Effect.provide(withKeys)))

    it.live(`lets a right key through on ${path}`, () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const answer = yield* server.post(path, batch, {
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: "Bearer second-key-456" }
        })
        expect(answer.status).not.toBe(401)
      }).pipe(Effect.provide(withKeys)))
  }

  it.live("refuses the official MCP client over Streamable HTTP without a key", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const outcome = yield* Effect.exit(Effect.scoped(connectHttp(server.url)))
      expect(outcome._tag).toBe("Failure")
      expect(String(outcome)).toContain("missing API key")
    }).pipe(Effect.provide(withKeys)))

  it.live("serves the official MCP client over Streamable HTTP with a right key", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const { client } = yield* connectHttp(server.url, { authorization: "Bearer second-key-456" })
      const tools = yield* Effect.promise(() => client.listTools())
      expect(tools.tools.map((tool) => tool.name).sort()).toEqual(allTools)
      const answer = yield* Effect.promise(() => client.callTool({ name: "ask", arguments: { question: "hi" } }))
      expect(resultItem(answer).status).toBe("success")
    }).pipe(Effect.provide(withKeys)))

  it.live("answers /ask with a right key", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", batch, {
        headers: { "content-type": "application/json", authorization: "bearer first-key-123" }
      })
      expect(answer.status).toBe(200)
    }).pipe(Effect.provide(withKeys)))

  it.live("keeps /health open but says only that the service is up without a right key", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      for (const headers of [{}, { authorization: "Bearer first-key-12" }]) {
        const answer = yield* Effect.promise(() => fetch(`${server.url}/health`, { headers }).then((r) => r.json()))
        expect(answer).toEqual({ status: "ok" })
      }
    }).pipe(Effect.provide(withKeys)))

  it.live("shows a right key the details of /health, and no key in them", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* Effect.promise(() =>
        fetch(`${server.url}/health`, { headers: { authorization: "Bearer first-key-123" } }).then((r) => r.text())
      )
      expect(JSON.parse(answer)).toMatchObject({ status: "ok", auth: "on", cache: { kind: "memory", entries: 0 } })
      expect(answer).not.toContain("first-key-123")
      expect(answer).not.toContain("test-key-openai")
    }).pipe(Effect.provide(withKeys)))

  it.live("reports auth off on /health when API_KEYS is unset", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.get("/health")
      expect(answer.body).toMatchObject({ auth: "off" })
    }).pipe(Effect.provide(TestServer.layer())))
})
