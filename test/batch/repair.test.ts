/**
 * The schema repair loop as the engine runs it, in memory: what each repair sends, what the item
 * reports, and that transport errors end the question instead of entering a prompt.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { maxRepairRetries } from "../../src/domain/Batch.ts"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { runScripted } from "../support/engine.ts"

const valid = '{"answer": true, "reason": "It adheres to surfaces."}'

describe("the repair loop in the engine", () => {
  it.effect("an invalid answer then a valid one gives retry_count 1, attempts 2 and the usage of both calls", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script(
        "wet",
        { text: "Yes, it is.", usage: { prompt_tokens: 7, completion_tokens: 3 } },
        { text: valid, usage: { prompt_tokens: 11, completion_tokens: 4 } }
      )
      const response = yield* runScripted(script, [{ index: 1, question: "Is water wet?", response_model: "yes_no" }])
      expect(response.results[0]).toMatchObject({
        status: "success",
        result: { answer: true, reason: "It adheres to surfaces." },
        retry_count: 1,
        attempts: 2,
        usage: { prompt_tokens: 18, completion_tokens: 7 }
      })
    }))

  it.effect("the repair prompt follows the invalid answer and carries the decode error", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script(
        "Classify",
        { text: '{"label": "spam", "confidence": 7}' },
        { text: '{"label": "spam", "confidence": 0.7}' }
      )
      yield* runScripted(script, [{ index: 1, question: "Classify: win money", response_model: "classification" }])
      const [first, repair] = script.calls.map((call) => call.request.messages)
      expect(repair!.slice(0, first!.length)).toEqual(first)
      const [answer, correction] = repair!.slice(first!.length)
      expect(answer).toEqual({ role: "assistant", content: '{"label": "spam", "confidence": 7}' })
      expect(correction!.role).toBe("user")
      expect(correction!.content).toContain("confidence: expected a value between 0 and 1")
    }))

  it.effect("when the repairs run out the item is an error with the last decode error and last_response", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("sky", { text: "I would rather not." })
      const response = yield* runScripted(script, [
        { index: 1, question: "Is the sky blue?", response_model: "yes_no", max_validation_retries: 2 }
      ])
      expect(script.calls).toHaveLength(3)
      expect(response.results[0]).toMatchObject({
        status: "error",
        result: null,
        retry_count: 2,
        attempts: 3,
        usage: { prompt_tokens: 30, completion_tokens: 15 },
        last_response: "I would rather not."
      })
      expect(response.results[0]!.error_message).toContain("after 2 repair retries")
      expect(response.results[0]!.error_message).toContain("answer: no JSON found")
    }))

  it.effect("at the most repairs, every repair sends the original messages, the last answer and its error: no more", () =>
    Effect.gen(function*() {
      // A long invalid answer: a conversation that kept every attempt would grow by it on each repair.
      const script = new LlmScript().always("sky", { text: `I would rather not. ${"No. ".repeat(2_000)}` })
      const response = yield* runScripted(script, [
        { index: 1, question: "Is the sky blue?", response_model: "yes_no", max_validation_retries: maxRepairRetries }
      ])
      expect(response.results[0]).toMatchObject({ status: "error", retry_count: maxRepairRetries })
      expect(script.calls).toHaveLength(maxRepairRetries + 1)
      const [first, ...repairs] = script.calls.map((call) => call.request.messages)
      const bytes = repairs.map((messages) => JSON.stringify(messages).length)
      for (const messages of repairs) {
        expect(messages).toHaveLength(first!.length + 2)
        expect(messages.slice(0, first!.length)).toEqual(first)
      }
      // Each the same size (but the correction's number): the first request plus one answer and one correction.
      expect(Math.max(...bytes) - Math.min(...bytes)).toBeLessThanOrEqual(1)
      expect(bytes[0]).toBeLessThan(JSON.stringify(first).length + 8_000 + 2_000)
    }))

  it.effect("a repair prompt quotes at most 2,000 characters of the decode error", () =>
    Effect.gen(function*() {
      // The error names the answer's own field, however long the model made it.
      const long = JSON.stringify({ ["x".repeat(10_000)]: "ok" })
      const script = new LlmScript().script("Long", { text: long }, { text: '{"answer": "ok"}' })
      yield* runScripted(script, [{
        index: 1,
        question: "Long?",
        response_schema: { type: "object", properties: { answer: { type: "string" } }, additionalProperties: false }
      }])
      const repair = script.calls[1]!.request.messages.at(-1)!
      expect(repair.role).toBe("user")
      expect(repair.content.length).toBeLessThan(2_200)
    }))

  it.effect("a transport error during a repair ends the question and never enters a prompt", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script(
        "fire",
        { text: "Definitely." },
        { fail: { status: 503, message: "openai answered HTTP 503: overloaded", reason: "overloaded" as const }, attempts: 4 }
      )
      const response = yield* runScripted(script, [{ index: 1, question: "Is fire hot?", response_model: "yes_no" }])
      expect(script.calls).toHaveLength(2)
      for (const call of script.calls) {
        expect(call.request.messages.map((message) => message.content).join("\n")).not.toContain("503")
      }
      expect(response.results[0]).toMatchObject({ status: "error", attempts: 5 })
      expect(response.results[0]!.error_message).toBe("openai answered HTTP 503: overloaded (gave up after 5 attempts)")
    }))
})
