import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestServer } from "../support/TestServer.ts"

const send = (method: string, path: string, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.promise(async () => {
      const response = await fetch(`${server.url}${path}`, { method, headers })
      const text = await response.text()
      return { status: response.status, headers: response.headers, text }
    })
  })

const errorOf = (text: string): unknown => (JSON.parse(text) as { error?: unknown }).error

describe("error answers", () => {
  it.live("an unknown route is a 404 with a JSON error naming it", () =>
    Effect.gen(function*() {
      const answer = yield* send("GET", "/nope?x=1")
      expect(answer.status).toBe(404)
      expect(answer.headers.get("content-type")).toContain("application/json")
      expect(errorOf(answer.text)).toBe("no such route: GET /nope; GET /docs lists the service's routes")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a known path with another method is a 405 with a JSON error and an Allow header", () =>
    Effect.gen(function*() {
      for (const [method, path, allowed] of [["GET", "/ask", "POST"], ["DELETE", "/health", "GET"], ["PUT", "/rpc", "POST"]]) {
        const answer = yield* send(method!, path!)
        expect(answer.status, `${method} ${path}`).toBe(405)
        expect(answer.headers.get("allow")).toBe(allowed)
        expect(errorOf(answer.text)).toBe(`${method} is not allowed on ${path}; use ${allowed}`)
      }
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("the MCP transport's own refusals carry a JSON error", () =>
    Effect.gen(function*() {
      const get = yield* send("GET", "/mcp")
      expect(get.status).toBe(405)
      expect(errorOf(get.text)).toBe("GET is not allowed on /mcp; use POST, DELETE")
      const wrongType = yield* send("POST", "/mcp", { "content-type": "text/plain" })
      expect(wrongType.status).toBe(415)
      expect(errorOf(wrongType.text)).toContain("Content-Type: application/json")
      const unknownSession = yield* send("DELETE", "/mcp", { "mcp-session-id": "no-such-session" })
      expect(unknownSession.status).toBe(404)
      expect(errorOf(unknownSession.text)).toContain("unknown MCP session")
    }).pipe(Effect.provide(TestServer.layer())))
})
