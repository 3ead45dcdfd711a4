import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

/** Every repair prompt ends with this; the fake upstream's scripts match on the last user message. */
const repair = "Answer again with only the corrected JSON"

const messagesOf = (body: Record<string, unknown>) =>
  body["messages"] as ReadonlyArray<{ readonly role: string; readonly content: string }>

describe("the schema repair loop", () => {
  it.live("repairs a prose answer: the second call validates, retry_count is 1, result is the object", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Is water wet?", { text: "Yes, water is wet because it sticks to things." })
      upstream.script(repair, { text: '{"answer": true, "reason": "It adheres to surfaces."}' })
      const item = yield* askOne({ question: "Is water wet?", response_model: "yes_no" })
      expect(item).toMatchObject({
        status: "success",
        result: { answer: true, reason: "It adheres to surfaces." },
        retry_count: 1,
        attempts: 2,
        usage: { prompt_tokens: 20, completion_tokens: 10 },
        error_message: null
      })
      expect(item).not.toHaveProperty("last_response")

      const second = messagesOf(upstream.requests[1]!.body)
      const [assistant, correction] = second.slice(-2)
      expect(assistant).toEqual({ role: "assistant", content: "Yes, water is wet because it sticks to things." })
      expect(correction!.role).toBe("user")
      expect(correction!.content).toContain("answer: no JSON found")
      expect(second[1]).toEqual({ role: "user", content: "Is water wet?" })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("puts the failing path and the expectation into the repair prompt", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Classify", { text: '{"label": "spam", "confidence": 7}' })
      upstream.script(repair, { text: '{"label": "spam", "confidence": 0.7}' })
      const item = yield* askOne({ question: "Classify: win money now", response_model: "classification" })
      expect(item.result).toEqual({ label: "spam", confidence: 0.7 })
      const correction = messagesOf(upstream.requests[1]!.body).at(-1)!.content
      expect(correction).toContain("confidence: expected a value between 0 and 1")
      expect(messagesOf(upstream.requests[1]!.body).at(-2)!.content).toBe('{"label": "spam", "confidence": 7}')
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("stops after exactly max_validation_retries repairs, with the last error and last_response", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: "I would rather not answer in JSON." })
      const item = yield* askOne({ question: "Is the sky blue?", response_model: "yes_no", max_validation_retries: 2 })
      expect(upstream.requests).toHaveLength(3)
      expect(item).toMatchObject({
        status: "error",
        result: null,
        retry_count: 2,
        attempts: 3,
        usage: { prompt_tokens: 30, completion_tokens: 15 },
        last_response: "I would rather not answer in JSON."
      })
      expect(item.error_message).toContain("after 2 repair retries")
      expect(item.error_message).toContain("answer: no JSON found")
      // Each repair sends the last answer and its correction, not every earlier one.
      expect(messagesOf(upstream.requests[2]!.body).filter((m) => m.role === "assistant")).toHaveLength(1)
      expect(messagesOf(upstream.requests[2]!.body)).toHaveLength(messagesOf(upstream.requests[1]!.body).length)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("uses VALIDATION_MAX_RETRIES when the question sets no limit; 0 means no repair at all", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: '{"answer": "maybe"}' })
      const item = yield* askOne({ question: "Is it?", response_model: "yes_no" })
      expect(upstream.requests).toHaveLength(1)
      expect(item).toMatchObject({ status: "error", retry_count: 0, last_response: '{"answer": "maybe"}' })
      expect(item.error_message).toContain("answer: expected boolean")
      expect(item.error_message).toContain("reason: required field is missing")
    }).pipe(Effect.provide(TestServer.layer({ VALIDATION_MAX_RETRIES: "0" }))))

  it.live("retries a 429 during a repair with the transport schedule; it does not count as a repair", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Is fire hot?", { text: "Definitely." })
      upstream.script(repair, { status: 429, headers: { "retry-after-ms": "10" } }, {
        text: '{"answer": true, "reason": "Combustion releases heat."}'
      })
      const item = yield* askOne({ question: "Is fire hot?", response_model: "yes_no" })
      expect(item).toMatchObject({ status: "success", retry_count: 1, attempts: 3 })
      expect(upstream.requests).toHaveLength(3)
      // The retried call is the same repair conversation: no transport error leaked into a prompt.
      expect(upstream.requests[2]!.body).toEqual(upstream.requests[1]!.body)
      for (const request of upstream.requests) expect(request.allText).not.toMatch(/429|fake error/)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("accepts code-fenced JSON surrounded by prose without a repair", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Name three colours", {
        text: "Of course! Here they are:\n```json\n{\"items\": [\"red\", \"green\", \"blue\"]}\n```\nHope this helps."
      })
      const item = yield* askOne({ question: "Name three colours", response_model: "string_list" })
      expect(item).toMatchObject({ status: "success", result: { items: ["red", "green", "blue"] }, retry_count: 0 })
      expect(upstream.requests).toHaveLength(1)
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("validation strategies", () => {
  it.live("`json` accepts any JSON value found in the answer and repairs an answer with none", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("primes", { text: "The first primes are [2, 3, 5]." })
      upstream.script("nothing", { text: "none at all" })
      upstream.script(repair, { text: "null" })
      const [list, repaired] = yield* Effect.all([
        askOne({ question: "List primes", validation_strategy: "json" }),
        askOne({ index: 2, question: "Say nothing", validation_strategy: "json" })
      ])
      expect(list).toMatchObject({ status: "success", result: [2, 3, 5], retry_count: 0 })
      expect(repaired).toMatchObject({ status: "success", result: null, retry_count: 1 })
      const system = messagesOf(upstream.callsFor("primes")[0]!.body)[0]!
      expect(system.role).toBe("system")
      expect(system.content).toContain("Answer with only a JSON value")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("`none`, and `schema` without a model, return the text as is with no instructions", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: "```json\n{\"a\": 1}\n```" })
      const raw = yield* askOne({ question: "raw", validation_strategy: "none", response_model: "yes_no" })
      const plain = yield* askOne({ question: "plain", system: "be brief" })
      expect(raw).toMatchObject({ status: "success", result: "```json\n{\"a\": 1}\n```" })
      expect(plain).toMatchObject({ status: "success", result: "```json\n{\"a\": 1}\n```" })
      expect(messagesOf(upstream.callsFor("plain")[0]!.body)).toEqual([
        { role: "system", content: "be brief" },
        { role: "user", content: "plain" }
      ])
      expect(upstream.callsFor("raw")[0]!.body).not.toHaveProperty("response_format")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("`pydantic` is `schema`: the user's system prompt comes first, then the schema instructions", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("", { text: '{"value": 42, "unit": "km"}' })
      const item = yield* askOne({
        question: "How far?",
        system: "You are a geographer.",
        validation_strategy: "pydantic",
        response_model: "number_with_unit"
      })
      expect(item.result).toEqual({ value: 42, unit: "km" })
      const system = messagesOf(upstream.requests[0]!.body)[0]!.content
      expect(system.startsWith("You are a geographer.\n\nAnswer with only a JSON value that matches")).toBe(true)
      expect(system).toContain('"unit"')
    }).pipe(Effect.provide(TestServer.layer())))
})
