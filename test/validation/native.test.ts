import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

/** OpenAI's error body: `param` names the request field at fault. */
const refusal = (message: string, param = "response_format") =>
  JSON.stringify({ error: { message, type: "invalid_request_error", param, code: null } })

describe("native structured output", () => {
  it.live("asks OpenAI for a strict json_schema response_format for a registered model", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: '{"answer": false, "reason": "It is not."}' })
      const item = yield* askOne({ question: "Is it?", response_model: "yes_no" })
      expect(item.status).toBe("success")
      expect(upstream.requests[0]!.body["response_format"]).toMatchObject({
        type: "json_schema",
        json_schema: {
          name: "yes_no",
          strict: true,
          schema: { type: "object", required: ["answer", "reason"], additionalProperties: false }
        }
      })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("falls back to json_object when an inline schema does not fit strict mode, and to nothing for arrays", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("object", { text: '{"a": "x"}' })
      upstream.script("array", { text: '["x"]' })
      upstream.script("any", { text: "[1]" })
      const optionalField = { type: "object", properties: { a: { type: "string" }, b: { type: "number" } }, required: ["a"] }
      yield* askOne({ question: "object", response_schema: optionalField })
      yield* askOne({ question: "array", response_schema: { type: "array", items: { type: "string" } } })
      yield* askOne({ question: "any", validation_strategy: "json" })
      expect(upstream.callsFor("object")[0]!.body["response_format"]).toEqual({ type: "json_object" })
      expect(upstream.callsFor("array")[0]!.body).not.toHaveProperty("response_format")
      expect(upstream.callsFor("any")[0]!.body).not.toHaveProperty("response_format")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("asks Anthropic for output_config.format, with the bounds it cannot enforce moved to descriptions", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: '{"label": "bug", "confidence": 0.8}' })
      const item = yield* askOne({
        question: "Classify: it crashes",
        model: "anthropic/claude-sonnet-4-5",
        response_model: "classification"
      })
      expect(item).toMatchObject({ status: "success", result: { label: "bug", confidence: 0.8 } })
      const request = upstream.requests[0]!
      expect(request.protocol).toBe("anthropic")
      const format = (request.body["output_config"] as {
        format: { type: string; schema: { properties: Record<string, object> } }
      }).format
      expect(format.type).toBe("json_schema")
      expect(format.schema).toMatchObject({ type: "object", additionalProperties: false })
      expect(format.schema.properties["confidence"]).not.toHaveProperty("minimum")
      expect(request.body["system"]).toContain("Answer with only a JSON value that matches this JSON Schema")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a provider that rejects response_format is asked again without it, repairs included", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("How tall", {
        status: 400,
        raw: refusal("This response_format type is unavailable now")
      }, { text: "About 8849 metres." })
      upstream.script("corrected JSON", { text: '{"value": 8849, "unit": "m"}' })
      const item = yield* askOne({
        question: "How tall is Everest?",
        model: "deepseek/deepseek-chat",
        response_model: "number_with_unit"
      })
      expect(item).toMatchObject({ status: "success", result: { value: 8849, unit: "m" }, retry_count: 1, attempts: 3 })
      const [refused, plain, repaired] = upstream.requests
      expect(refused!.body).toHaveProperty("response_format")
      expect(plain!.body).not.toHaveProperty("response_format")
      expect(repaired!.body).not.toHaveProperty("response_format")
      // Without the native format the schema still reaches the model through the system prompt.
      expect(plain!.allText).toContain('"unit"')
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("any other 400 is the item's error, not a reason to drop the format", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { status: 400, raw: refusal("max_tokens is too large", "max_tokens") })
      const item = yield* askOne({ question: "q", response_model: "yes_no" })
      expect(item).toMatchObject({ status: "error", attempts: 1, retry_count: 0 })
      expect(item.error_message).toContain("max_tokens is too large")
      expect(upstream.requests).toHaveLength(1)
    }).pipe(Effect.provide(TestServer.layer())))
})
