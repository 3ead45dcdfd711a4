import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

interface Listing {
  readonly models: ReadonlyArray<{
    readonly name: string
    readonly description: string
    readonly json_schema: {
      readonly type: string
      readonly required: ReadonlyArray<string>
      readonly properties: Readonly<Record<string, unknown>>
    }
  }>
}

describe("response models", () => {
  it.live("GET /models/response lists every model with a JSON Schema generated from its Effect Schema", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.get("/models/response")
      expect(answer.status).toBe(200)
      const { models } = answer.body as Listing
      expect(models.map((m) => m.name)).toEqual(
        expect.arrayContaining(["yes_no", "string_list", "number_with_unit", "classification"])
      )
      for (const model of models) {
        expect(model.description.length).toBeGreaterThan(0)
        expect(model.json_schema).toMatchObject({ type: "object", additionalProperties: false })
      }
      const classification = models.find((m) => m.name === "classification")!.json_schema
      expect(classification.required).toEqual(["label", "confidence"])
      expect(classification.properties["confidence"]).toMatchObject({ type: "number", minimum: 0, maximum: 1 })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a registered model decodes the answer; extra fields the model adds are dropped", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Review", { text: '{"sentiment": "positive", "confidence": 0.9, "note": "extra"}' })
      const item = yield* askOne({ question: "Review: great product", response_model: "sentiment" })
      expect(item).toMatchObject({
        status: "success",
        result: { sentiment: "positive", confidence: 0.9 },
        retry_count: 0
      })
      expect(item.result).not.toHaveProperty("note")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("an unknown response_model is a 400 listing the known names, before any call", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      const answer = yield* server.post("/ask", {
        questions: [{ index: 1, question: "fine" }, { index: 2, question: "q", response_model: "YesNo" }]
      })
      expect(answer.status).toBe(400)
      const error = (answer.body as { error: string }).error
      expect(error).toContain("questions[1].response_model: unknown response model 'YesNo'")
      expect(error).toContain("yes_no, string_list, number_with_unit, classification")
      expect(upstream.requests).toHaveLength(0)

      // The streaming surface checks the batch the same way, before its 200 and first line.
      const streamed = yield* server.post("/ask/stream", { questions: [{ index: 1, question: "q", response_model: "nope" }] })
      expect(streamed.status).toBe(400)
      expect(streamed.text).toContain("unknown response model 'nope'")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("response_model and response_schema together are a 400", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", response_model: "yes_no", response_schema: { type: "object" } }]
      })
      expect(answer.status).toBe(400)
      expect((answer.body as { error: string }).error).toContain("give response_model or response_schema, not both")
    }).pipe(Effect.provide(TestServer.layer())))
})
