import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const q = (index: number, question: string, extra: Record<string, unknown> = {}) => ({ index, question, ...extra })

/** Each case: a body, the status it must get, and a phrase the error must contain. */
const badBodies: ReadonlyArray<readonly [string, unknown, number, string]> = [
  ["not JSON", "{questions: [", 400, "not valid JSON"],
  ["empty body", "", 400, "not valid JSON"],
  ["a JSON array", [], 400, "body: expected object"],
  ["JSON null", null, 400, "body: expected object"],
  ["no questions field", {}, 400, "questions: required field is missing"],
  ["questions not an array", { questions: "x" }, 400, "questions: expected array"],
  ["an empty batch", { questions: [] }, 400, "no questions"],
  ["a missing index", { questions: [{ question: "hi" }] }, 400, "questions[0].index: required field is missing"],
  ["a fractional index", { questions: [q(1.5, "hi")] }, 400, "questions[0].index: expected an integer"],
  ["an empty question", { questions: [q(1, "")] }, 400, "questions[0].question"],
  ["an unknown field", { questions: [q(1, "hi", { temprature: 1 })] }, 400, "questions[0].temprature: unknown field"],
  ["an unknown top-level field", { questions: [q(1, "hi")], extra: true }, 400, "extra: unknown field"],
  ["a prototype-pollution key", JSON.parse('{"questions":[{"index":1,"question":"hi","__proto__":{"x":1}}]}'), 400,
    "__proto__: unknown field"],
  ["a bad method", { questions: [q(1, "hi", { method: "parallel" })] }, 400, "questions[0].method"],
  ["a temperature above 2", { questions: [q(1, "hi", { temperature: 3 })] }, 400, "questions[0].temperature"],
  ["max_tokens of 0", { questions: [q(1, "hi", { max_tokens: 0 })] }, 400, "questions[0].max_tokens"],
  ["a string number", { questions: [q(1, "hi", { max_tokens: "100" })] }, 400, "questions[0].max_tokens"],
  ["a duplicate index", { questions: [q(1, "a"), q(1, "b")] }, 400, "questions[1].index: index 1 is already used"],
  ["a placeholder naming a missing index", { questions: [q(1, "use {Q7_result}")] }, 400,
    "questions[0].question: {Q7_result} refers to index 7"],
  ["a self reference", { questions: [q(1, "me {Q1_result}")] }, 400, "cycle"],
  ["a cycle", { questions: [q(1, "a {Q2_result}"), q(2, "b {Q3_result}"), q(3, "c {Q1_result}")] }, 400,
    "cycle"],
  ["a sequential chain that points back", {
    questions: [q(1, "a {Q2_result}", { method: "sequential" }), q(2, "b", { method: "sequential" })]
  }, 400, "cycle"]
]

describe("malformed requests to POST /ask", () => {
  for (const [name, body, status, phrase] of badBodies) {
    it.live(`rejects ${name} with ${status}`, () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const upstream = yield* FakeUpstream
        const answer = yield* server.post("/ask", typeof body === "string" ? body : JSON.stringify(body))
        expect(answer.status).toBe(status)
        expect(answer.headers.get("content-type")).toContain("application/json")
        expect((answer.body as { error: string }).error).toContain(phrase)
        expect(upstream.requests).toHaveLength(0)
      }).pipe(Effect.provide(TestServer.layer())))
  }

  it.live("rejects more questions than MAX_BATCH_SIZE with 400 naming the setting", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [q(1, "a"), q(2, "b"), q(3, "c")] })
      expect(answer.status).toBe(400)
      expect((answer.body as { error: string }).error).toContain("MAX_BATCH_SIZE")
    }).pipe(Effect.provide(TestServer.layer({ MAX_BATCH_SIZE: "2" }))))

  it.live("answers 413 to a body over MAX_BODY_BYTES", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [q(1, "x".repeat(5_000))] })
      expect(answer.status).toBe(413)
      expect((answer.body as { error: string }).error).toContain("MAX_BODY_BYTES")
    }).pipe(Effect.provide(TestServer.layer({ MAX_BODY_BYTES: "1024" }))))

  it.live("rejects invalid UTF-8 with 400", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const bytes = new Uint8Array([...new TextEncoder().encode('{"questions":[{"index":1,"question":"'), 0xff, 0xfe,
        ...new TextEncoder().encode('"}]}')])
      const answer = yield* server.post("/ask", undefined, { body: bytes })
      expect(answer.status).toBe(400)
      expect((answer.body as { error: string }).error).toContain("UTF-8")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("names every problem of a body with several", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [q(1, "", { temperature: -1, colour: "red" })] })
      const error = (answer.body as { error: string }).error
      expect(error).toContain("questions[0].question")
      expect(error).toContain("questions[0].temperature")
      expect(error).toContain("questions[0].colour: unknown field")
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("failed dependencies", () => {
  it.live("does not send an item whose dependency failed, and names the dependency", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("first", { status: 400 })
      const server = yield* TestServer
      const answer = yield* server.post("/ask", {
        questions: [
          q(1, "first", { method: "sequential" }),
          q(2, "second", { method: "sequential" }),
          q(3, "third {Q2_result}"),
          q(4, "independent")
        ]
      })
      expect(answer.status).toBe(200)
      const results = (answer.body as { results: ReadonlyArray<Record<string, unknown>> }).results
      expect(results.map((r) => r.status)).toEqual(["error", "error", "error", "success"])
      expect(results[1]!.error_message).toContain("depends on question 1, which failed")
      expect(results[2]!.error_message).toContain("depends on question 1, which failed")
      expect(results[1]!.attempts).toBe(0)
      expect(upstream.callsFor("second")).toHaveLength(0)
      expect(upstream.callsFor("third")).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("fails an item whose field placeholder names a field the answer lacks", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [q(1, "plain"), q(2, "use {Q1_result.name}")] })
      const results = (answer.body as { results: ReadonlyArray<Record<string, unknown>> }).results
      expect(results[1]!.status).toBe("error")
      expect(results[1]!.error_message).toContain("no field 'name'")
      expect(upstream.callsFor("use")).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))
})
