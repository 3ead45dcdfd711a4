/**
 * The schema repair loop as the engine runs it, in memory: what each repair sends, what the item
 * reports, and that transport errors end the question instead of entering a prompt.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
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

  it.effect("a transport error during a repair ends the question and never enters a prompt", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script(
        "fire",
        { text: "Definitely." },
        { fail: { status: 503, message: "openai answered HTTP 503: overloaded", retryable: true }, attempts: 4 }
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
