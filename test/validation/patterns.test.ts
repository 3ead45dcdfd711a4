import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const withPattern = (pattern: string) => ({
  type: "object",
  properties: { code: { type: "string", pattern } },
  required: ["code"]
})

const errorOf = (body: unknown) => (body as { error: string }).error

/** Patterns that backtrack exponentially, each with the input that makes them do it. */
const catastrophic = [
  ["^(a+)+$", `${"a".repeat(30)}b`],
  ["(a|aa)+$", `${"a".repeat(40)}b`],
  ["(a*)*b", "a".repeat(30)],
  ["^(\\w+\\s?)*$", `${"a".repeat(30)}!`]
] as const

describe("schema patterns", () => {
  it.live("catastrophic patterns fail fast while /health keeps answering within a second", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      catastrophic.forEach(([, input], index) => upstream.always(`evil ${index}`, { text: JSON.stringify({ code: input }) }))
      const questions = catastrophic.map(([pattern], index) => ({
        index,
        question: `evil ${index}`,
        response_schema: withPattern(pattern),
        max_validation_retries: 0
      }))
      let finished = false
      const healthLatencies: Array<number> = []
      const pollHealth = Effect.gen(function*() {
        while (!finished) {
          const started = performance.now()
          expect((yield* server.get("/health")).status).toBe(200)
          healthLatencies.push(performance.now() - started)
          yield* Effect.sleep(10)
        }
      })
      const started = performance.now()
      const runBatch = server.post("/ask", { questions }).pipe(
        Effect.ensuring(Effect.sync(() => {
          finished = true
        }))
      )
      const [answer] = yield* Effect.all([runBatch, pollHealth], { concurrency: 2 })
      const batchMs = performance.now() - started
      expect(answer.status, answer.text).toBe(200)
      for (const item of (answer.body as BatchResponse).results) {
        expect(item.status).toBe("error")
        expect(item.error_message).toContain("code: must match pattern")
      }
      expect(healthLatencies.length).toBeGreaterThan(0)
      expect(Math.max(...healthLatencies)).toBeLessThan(1_000)
      expect(batchMs).toBeLessThan(5_000)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a pattern RE2 cannot run is a 400 naming its path in the schema, before any call", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      const cases = [
        [withPattern("^(?=.*\\d)\\w+$"), "questions[0].response_schema.properties.code.pattern: pattern '^(?=.*\\d)\\w+$'"],
        [withPattern("^(a)\\1$"), "questions[0].response_schema.properties.code.pattern: pattern '^(a)\\1$'"],
        [
          { type: "object", patternProperties: { "(?<!x)y": { type: "string" } } },
          "questions[0].response_schema.patternProperties: pattern '(?<!x)y'"
        ]
      ] as const
      for (const [schema, expected] of cases) {
        const answer = yield* server.post("/ask", { questions: [{ index: 1, question: "q", response_schema: schema }] })
        expect(answer.status).toBe(400)
        expect(errorOf(answer.body)).toContain(expected)
        expect(errorOf(answer.body)).toContain("RE2 syntax")
      }
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a pattern too large to run in bounded time is a 400", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", response_schema: withPattern("[a-z]{1000}[0-9]{1000}[A-Z]{1000}") }]
      })
      expect(answer.status).toBe(400)
      expect(errorOf(answer.body)).toContain("questions[0].response_schema.properties.code.pattern: pattern")
      expect(errorOf(answer.body)).toContain("limit lengths with minLength/maxLength instead")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a value too long for a pattern's time budget fails its item with the reason", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("long", { text: JSON.stringify({ code: "é".repeat(50_000) }) })
      const item = yield* askOne({
        question: "long",
        response_schema: withPattern("^\\p{L}{1,1000}$"),
        max_validation_retries: 0
      })
      expect(item.status).toBe("error")
      expect(item.error_message).toContain("50000-character value is too long to check against pattern")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("patterns match unanchored, with JavaScript's \\u escapes, Unicode classes and RE2's \\x{…}", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: '{"code": "Zoë-42"}' })
      for (const pattern of ["\\d+", "^[\\u0041-\\u005A]", "^\\p{Lu}\\p{Ll}+", "-4\\x{32}$"]) {
        const item = yield* askOne({ question: "code", response_schema: withPattern(pattern) })
        expect(item.status, pattern).toBe("success")
      }
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("format regex accepts only patterns RE2 can run", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("regex", { text: '{"re": "(?=x)y"}' }, { text: '{"re": "^x+y$"}' })
      const item = yield* askOne({
        question: "a regex",
        response_schema: { type: "object", properties: { re: { type: "string", format: "regex" } }, required: ["re"] }
      })
      expect(item).toMatchObject({ status: "success", retry_count: 1, result: { re: "^x+y$" } })
      expect(upstream.requests[1]!.prompt).toContain('re: must match format "regex"')
    }).pipe(Effect.provide(TestServer.layer())))
})
