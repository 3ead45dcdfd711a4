import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const expectError = (body: unknown, status: number, phrase: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    const answer = yield* server.post("/ask", body)
    expect(answer.status).toBe(status)
    expect((answer.body as { error: string }).error).toContain(phrase)
  })

describe("per-question api_base", () => {
  it.live("is refused outright with API_BASE_OVERRIDE=deny", () =>
    expectError({ questions: [{ index: 1, question: "x", api_base: "http://127.0.0.1:9/v1" }] }, 400,
      "API_BASE_OVERRIDE=deny").pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "deny" }))))

  for (const base of ["ftp://127.0.0.1/v1", "file:///etc/passwd", "javascript:alert(1)", "not a url"]) {
    it.live(`must be http or https, not ${base}`, () =>
      expectError({ questions: [{ index: 1, question: "x", api_base: base }] }, 400, "http:// or https://").pipe(
        Effect.provide(TestServer.layer())
      ))
  }
})

describe("bounded work", () => {
  it.live("rejects a question over MAX_QUESTION_CHARS", () =>
    expectError({ questions: [{ index: 1, question: "x".repeat(101) }] }, 400, "MAX_QUESTION_CHARS").pipe(
      Effect.provide(TestServer.layer({ MAX_QUESTION_CHARS: "100" }))
    ))

  it.live("rejects max_tokens over MAX_TOKENS_LIMIT", () =>
    expectError({ questions: [{ index: 1, question: "x", max_tokens: 5000 }] }, 400, "MAX_TOKENS_LIMIT").pipe(
      Effect.provide(TestServer.layer({ MAX_TOKENS_LIMIT: "4096" }))
    ))

  it.live("rejects a huge number without overflowing", () =>
    expectError('{"questions":[{"index":1e400,"question":"x"}]}', 400, "questions[0].index").pipe(
      Effect.provide(TestServer.layer())
    ))

  it.live("bounds a prompt that substitutes one answer many times", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("long answer", { text: "y".repeat(300) })
      const response = yield* askBatch({
        questions: [
          { index: 1, question: "long answer please" },
          { index: 2, question: "{Q1_result}".repeat(20) }
        ]
      })
      expect(response.results[0]!.status).toBe("success")
      expect(response.results[1]!.status).toBe("error")
      expect(response.results[1]!.error_message).toContain("MAX_QUESTION_CHARS")
      expect(upstream.requests).toHaveLength(1)
    }).pipe(Effect.provide(TestServer.layer({ MAX_QUESTION_CHARS: "1000" }))))

  it.live("interrupts items still running at BATCH_TIMEOUT_MS and returns the finished ones", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 5_000 })
      const started = Date.now()
      const response: BatchResponse = yield* askBatch({
        questions: [
          { index: 1, question: "quick" },
          { index: 2, question: "slow" },
          { index: 3, question: "after slow {Q2_result}" }
        ]
      })
      expect(Date.now() - started).toBeLessThan(4_000)
      expect(response.results.map((r) => r.status)).toEqual(["success", "error", "error"])
      expect(response.results[1]!.error_message).toContain("BATCH_TIMEOUT_MS")
      expect(response.results[2]!.error_message).toContain("BATCH_TIMEOUT_MS")
      // The interrupted call was aborted upstream, not left running.
      while (upstream.aborted === 0) yield* Effect.sleep(10)
      expect(upstream.aborted).toBe(1)
    }).pipe(Effect.provide(TestServer.layer({ BATCH_TIMEOUT_MS: "500" }))))
})

describe("hostile bodies", () => {
  it.live("refuses a non-JSON content type with 415", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [{ index: 1, question: "x" }] }, {
        headers: { "content-type": "text/plain" }
      })
      expect(answer.status).toBe(415)
      expect((answer.body as { error: string }).error).toContain("application/json")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("accepts application/json with a charset", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [{ index: 1, question: "x" }] }, {
        headers: { "content-type": "application/json; charset=utf-8" }
      })
      expect(answer.status).toBe(200)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("rejects deeply nested JSON with a 4xx", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const deep = `{"questions":[{"index":1,"question":"x","response_schema":${"[".repeat(100_000)}${"]".repeat(100_000)}}]}`
      const answer = yield* server.post("/ask", deep)
      expect(answer.status).toBe(400)
    }).pipe(Effect.provide(TestServer.layer({ MAX_BODY_BYTES: "1000000" }))))

  it.live("rejects NaN-like strings where numbers belong", () =>
    expectError({ questions: [{ index: 1, question: "x", temperature: "NaN" }] }, 400,
      "questions[0].temperature").pipe(Effect.provide(TestServer.layer())))

  it.live("answers a truncated body with a 4xx or a closed connection, never a 5xx", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const { hostname, port } = new URL(server.url)
      const status = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          import("node:net").then(({ connect }) => {
            const socket = connect(Number(port), hostname, () => {
              socket.write(
                "POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" +
                  '{"questions":[{"index":1,'
              )
              socket.end()
            })
            let data = ""
            socket.on("data", (chunk) => (data += chunk.toString()))
            socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)))
          })
        })
      )
      expect(status === 0 || (status >= 400 && status < 500)).toBe(true)
    }).pipe(Effect.provide(TestServer.layer())))
})
