import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Result } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { compileInlineSchema } from "../../src/validation/inlineSchema.ts"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const person = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1 },
    age: { type: "integer", minimum: 0 },
    email: { type: "string", format: "email" },
    tags: { type: "array", items: { enum: ["friend", "work"] } }
  },
  required: ["name", "age"],
  additionalProperties: false
}

const errorOf = (body: unknown) => (body as { error: string }).error

// One test server for the file's requests: each test reads only the upstream calls it caused.
layer(TestServer.layer(), { excludeTestServices: true, timeout: "60 seconds" })("inline response_schema", (it) => {
  it.effect("validates the answer against the inline schema and returns it as the result", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Who", { text: '{"name": "Ada", "age": 36, "email": "ada@example.com", "tags": ["work"]}' })
      const item = yield* askOne({ question: "Who wrote the first program?", response_schema: person })
      expect(item).toMatchObject({
        status: "success",
        retry_count: 0,
        result: { name: "Ada", age: 36, email: "ada@example.com", tags: ["work"] }
      })
    }))

  it.effect("names each failing path and its expectation when repairing against an inline schema", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Who is it?", { text: '{"name": "Ada", "age": -1, "email": "nope", "tags": ["family"], "x": 1}' })
      upstream.script("corrected JSON", { text: '{"name": "Ada", "age": 36}' })
      const item = yield* askOne({ question: "Who is it?", response_schema: person })
      expect(item).toMatchObject({ status: "success", retry_count: 1, result: { name: "Ada", age: 36 } })
      const correction = upstream.callsFor("corrected JSON")[0]!.prompt
      expect(correction).toContain("x: unknown field")
      expect(correction).toContain("age: must be >= 0")
      expect(correction).toContain('email: must match format "email"')
      expect(correction).toContain('tags[0]: expected one of "friend", "work"')
    }))

  it.effect("an invalid JSON Schema is a 400 naming the question and the schema path, before any call", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      const callsBefore = upstream.requests.length
      const typo = yield* server.post("/ask", {
        questions: [{ index: 7, question: "q", response_schema: { type: "object", properties: { a: { type: "strnig" } } } }]
      })
      expect(typo.status).toBe(400)
      expect(errorOf(typo.body)).toContain("questions[0].response_schema: not a valid JSON Schema: properties.a.type: expected one of")

      const unknownKeyword = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", response_schema: { type: "object", requierd: ["a"] } }]
      })
      expect(unknownKeyword.status).toBe(400)
      expect(errorOf(unknownKeyword.body)).toContain('unknown keyword: "requierd"')

      const badRef = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", response_schema: { $ref: "#/$defs/Missing" } }]
      })
      expect(badRef.status).toBe(400)
      expect(errorOf(badRef.body)).toContain("questions[0].response_schema: not a usable JSON Schema")

      const dialect = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", response_schema: { $schema: "constructor", type: "object" } }]
      })
      expect(dialect.status).toBe(400)
      expect(errorOf(dialect.body)).toContain("questions[0].response_schema.$schema: unsupported dialect 'constructor'")

      const notAnObject = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", response_schema: ["string"] }]
      })
      expect(notAnObject.status).toBe(400)
      expect(upstream.requests).toHaveLength(callsBefore)
    }))

  it.effect("accepts draft-07 schemas and keeps one request's $id out of the next request", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("draft-07", { text: '{"v": "text"}' })
      const withId = (type: string) => ({
        $schema: "http://json-schema.org/draft-07/schema#",
        $id: "https://example.com/answer",
        type: "object",
        properties: { v: { type } },
        required: ["v"]
      })
      const first = yield* askOne({ question: "draft-07 a", response_schema: withId("string") })
      const second = yield* askOne({ question: "draft-07 b", response_schema: withId("number"), max_validation_retries: 0 })
      expect(first.status).toBe("success")
      expect(second).toMatchObject({ status: "error" })
      expect(second.error_message).toContain("v: expected number")
    }))
})

describe("inline schemas in memory", () => {
  it("compiling many distinct schemas does not keep every one of them in memory", () => {
    setFlagsFromString("--expose-gc")
    const gc: () => void = runInNewContext("gc")
    const compileMany = (count: number, offset: number) => {
      for (let i = offset; i < offset + count; i++) {
        const schema = { type: "object", properties: { [`field${i}`]: { type: "string", pattern: `^v${i}$` } } }
        expect(Result.isSuccess(compileInlineSchema(schema, "response_schema"))).toBe(true)
      }
    }
    // One instance's worth first (src/validation/inlineSchema.ts replaces one after 500 compiles).
    compileMany(500, 0)
    gc()
    const before = process.memoryUsage().heapUsed
    // Ajv alone keeps about 11 kB per compiled schema: 17 MB for these (about 1 MB when replaced).
    compileMany(1_500, 500)
    gc()
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(10_000_000)
  })
})
