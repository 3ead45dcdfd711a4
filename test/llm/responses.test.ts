/**
 * A provider's HTTP 200 answer is decoded before anything reads it: every body that is not a
 * completion is its question's error (naming provider, status and what was wrong), never a crash.
 * One test server for the file: each test scripts the fake for a question text of its own.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { malformedAnswers, modelOf, type Protocol } from "../support/malformedAnswers.ts"
import { TestServer } from "../support/TestServer.ts"

const protocols: ReadonlyArray<Protocol> = ["openai", "anthropic"]

layer(TestServer.layer(), { excludeTestServices: true, timeout: "60 seconds" })("upstream answers", (it) => {
  describe("malformed upstream answers", () => {
    for (const protocol of protocols) {
      for (const { name, step, problem } of malformedAnswers[protocol]) {
        it.effect(`${protocol}: ${name} is the item's error, not retried`, () =>
          Effect.gen(function*() {
            const upstream = yield* FakeUpstream
            const question = `odd answer (${protocol}: ${name})`
            upstream.always(question, step)
            const result = yield* askOne({ question, model: modelOf[protocol] })
            expect(result).toMatchObject({ status: "error", result: null, attempts: 1 })
            expect(result.error_message).toContain(`${protocol} ${problem}`)
            expect(upstream.callsFor(question)).toHaveLength(1)
          }))
      }
    }
  })

  describe("well-formed upstream answers", () => {
    it.effect("an OpenAI answer with null content is an empty answer", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("refuse", {
          json: { choices: [{ message: { role: "assistant", content: null, refusal: "no" }, finish_reason: "stop" }] }
        })
        const result = yield* askOne({ question: "refuse", validation_strategy: "none" })
        expect(result).toMatchObject({ status: "success", result: "", usage: null })
      }))

    it.effect("an Anthropic answer keeps the text of its text blocks and skips the others", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("think", {
          json: {
            content: [
              { type: "thinking", thinking: "hmm", signature: "sig" },
              { type: "text", text: "Par" },
              { type: "text", text: "is" }
            ],
            stop_reason: "end_turn",
            usage: { input_tokens: 4, output_tokens: 2 }
          }
        })
        const result = yield* askOne({ question: "think", model: modelOf.anthropic, validation_strategy: "none" })
        expect(result).toMatchObject({ status: "success", result: "Paris", usage: { prompt_tokens: 4, completion_tokens: 2 } })
      }))

    it.effect("a positive log-probability (a provider's rounding) gives a confidence of at most 1", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("rounded", { logprobs: [0.5, 2] })
        const result = yield* askOne({ question: "rounded" })
        expect(result).toMatchObject({ status: "success", confidence: 1 })
      }))
  })
})
