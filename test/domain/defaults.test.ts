import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeBatchRequest } from "../../src/domain/decode.ts"

describe("QuestionItem defaults", () => {
  it.effect("null means not given: fields with defaults take them", () =>
    Effect.gen(function*() {
      const { questions } = yield* decodeBatchRequest({
        questions: [{
          index: 1,
          question: "q",
          method: null,
          validation_strategy: null,
          temperature: null,
          max_tokens: null,
          cache: null,
          model: null,
          max_validation_retries: null
        }]
      })
      expect(questions[0]).toMatchObject({
        method: "concurrent",
        validation_strategy: "pydantic",
        temperature: 0.2,
        max_tokens: 1000,
        cache: true
      })
    }))

  it.effect("a value given is checked as before", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeBatchRequest({ questions: [{ index: 1, question: "q", temperature: 3 }] }))
      expect(error.message).toMatch(/^questions\[0\]\.temperature: expected a value between 0 and 2/)
    }))
})
