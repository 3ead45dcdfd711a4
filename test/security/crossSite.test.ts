/**
 * What a web page on another site can make the service do through its visitor's browser (issue 23):
 * a body with no content type or text/plain (sent without a CORS preflight) is a 415, a foreign
 * Origin on a state-changing route a 403, and a `Host` that is not loopback a 403 while the
 * service is bound to loopback (DNS rebinding) — unless ALLOWED_HOSTS / ALLOWED_ORIGINS say so.
 */
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { request as httpRequest } from "node:http"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const batch = JSON.stringify({ questions: [{ index: 1, question: "cross-site" }] })
const rpcMessage = JSON.stringify({ _tag: "Request", id: "1", tag: "Ask", payload: JSON.parse(batch), headers: [] }) + "\n"
const mcpInitialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } }
})

/** Each body route with a body it would accept under the right content type. */
const bodyRoutes = [
  ["/ask", batch],
  ["/batches", batch],
  ["/rpc", rpcMessage],
  ["/mcp", mcpInitialize]
] as const

const send = (path: string, init: RequestInit) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.promise(async () => {
      const response = await fetch(`${server.url}${path}`, {
        ...init,
        headers: { accept: "application/json, text/event-stream", ...init.headers }
      })
      return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() }
    })
  })

/** fetch will not send another `Host`: node:http will. */
const withHost = (host: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.callback<{ status: number; text: string }>((resume) => {
      const request = httpRequest(`${server.url}${path}`, {
        method,
        headers: { host, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers }
      }, (response) => {
        let text = ""
        response.on("data", (chunk) => text += chunk)
        response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, text })))
      })
      request.on("error", (error) => resume(Effect.die(error)))
      request.end(body)
    })
  })

layer(TestServer.layer(), { excludeTestServices: true, timeout: "60 seconds" })("bound to loopback, no settings", (it) => {
  it.effect("a body with no content type, or text/plain, is a 415 {\"error\"} on /ask, /batches, /rpc and /mcp; nothing runs", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      for (const [path, body] of bodyRoutes) {
        // A Blob without a type is what `fetch(…, {mode: "no-cors"})` from any page sends.
        for (const [label, sent] of [["none", new Blob([body])], ["text/plain", body]] as const) {
          const answer = yield* send(path, { method: "POST", body: sent })
          expect(answer.status, `${path} ${label}`).toBe(415)
          expect(answer.contentType, `${path} ${label}`).toContain("application/json")
          expect(JSON.parse(answer.text), `${path} ${label}`).toEqual({ error: expect.stringContaining("application/json") })
        }
      }
      expect(upstream.callsFor("cross-site")).toHaveLength(0)
      expect(JSON.parse((yield* send("/batches", { method: "GET" })).text)).toEqual({ data: [] })
    }))

  it.effect("a foreign Origin is a 403 on every state-changing route; loopback origins and requests without one go on", () =>
    Effect.gen(function*() {
      const json = { "content-type": "application/json" }
      for (const [path, body] of [...bodyRoutes, ["/batches/batch_nope/cancel", undefined]] as const) {
        const headers = path === "/rpc" ? { "content-type": "application/x-ndjson" } : json
        const answer = yield* send(path, {
          method: "POST",
          headers: { ...headers, origin: "https://attacker.example" },
          ...(body === undefined ? {} : { body })
        })
        expect(answer.status, path).toBe(403)
        expect(JSON.parse(answer.text), path).toEqual({ error: expect.stringContaining("ALLOWED_ORIGINS") })
      }
      expect((yield* send("/ask", { method: "POST", headers: { ...json, origin: "http://localhost:5173" }, body: batch })).status)
        .toBe(200)
      expect((yield* send("/batches", { method: "POST", headers: json, body: batch })).status).toBe(202)
      // Reading is not state-changing: a page cannot read the answer anyway (no CORS headers).
      expect((yield* send("/health", { method: "GET", headers: { origin: "https://attacker.example" } })).status).toBe(200)
    }))

  it.effect("a Host that is not loopback is a 403 naming ALLOWED_HOSTS; localhost, 127.0.0.1 and [::1] with a port are served", () =>
    Effect.gen(function*() {
      for (const [method, path, body] of [["GET", "/health", undefined], ["POST", "/ask", batch]] as const) {
        for (const host of ["attacker.example", "attacker.example:8000", "localhost.attacker.example", "attacker.example@localhost"]) {
          const refused = yield* withHost(host, method, path, body)
          expect(refused.status, `${host} ${path}`).toBe(403)
          expect(JSON.parse(refused.text), host).toEqual({ error: expect.stringContaining("ALLOWED_HOSTS") })
        }
      }
      for (const host of ["localhost:8000", "LOCALHOST", "127.0.0.1:1234", "[::1]:8000"]) {
        expect((yield* withHost(host, "GET", "/health")).status, host).toBe(200)
      }
    }))
})

layer(
  TestServer.layer({ ALLOWED_HOSTS: "api.example.com", ALLOWED_ORIGINS: "https://app.example.com" }),
  { excludeTestServices: true, timeout: "60 seconds" }
)("with ALLOWED_HOSTS and ALLOWED_ORIGINS", (it) => {
  it.effect("the listed Host is served, and the service's own origin and the listed one may POST", () =>
    Effect.gen(function*() {
      expect((yield* withHost("api.example.com:8443", "GET", "/health")).status).toBe(200)
      expect((yield* withHost("other.example.com", "GET", "/health")).status).toBe(403)
      // The service's own origin, under the name it is served as (its console's requests).
      const own = yield* withHost("api.example.com:8443", "POST", "/ask", batch, { origin: "https://api.example.com:8443" })
      expect(own.status, own.text).toBe(200)
      const foreign = yield* withHost("api.example.com:8443", "POST", "/ask", batch, { origin: "https://evil.example.com" })
      expect(foreign.status).toBe(403)
      const json = { "content-type": "application/json" }
      expect((yield* send("/ask", { method: "POST", headers: { ...json, origin: "https://app.example.com" }, body: batch })).status)
        .toBe(200)
      expect((yield* send("/ask", { method: "POST", headers: { ...json, origin: "https://other.example.com" }, body: batch })).status)
        .toBe(403)
    }))
})

