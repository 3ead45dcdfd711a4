import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

describe("placeholders into structured results", () => {
  it.live("{Qn_result.field} inserts one field; {Qn_result} inserts the object as compact JSON", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Largest cities", { text: '{"items": ["Tokyo", "Delhi"]}' })
      upstream.script("Capital", { text: '{"label": "Paris", "confidence": 0.99}' })
      const response = yield* askBatch({
        questions: [
          { index: 1, question: "Capital of France?", response_model: "classification" },
          { index: 2, question: "Largest cities?", response_model: "string_list" },
          { index: 3, question: "Tell me about {Q1_result.label} ({Q1_result.confidence}) and {Q2_result.items.1}" },
          { index: 4, question: "Echo {Q1_result}" }
        ]
      })
      expect(response.results.map((r) => r.status)).toEqual(["success", "success", "success", "success"])
      expect(upstream.callsFor("Tell me")[0]!.prompt).toBe("Tell me about Paris (0.99) and Delhi")
      expect(upstream.callsFor("Echo")[0]!.prompt).toBe('Echo {"label":"Paris","confidence":0.99}')
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("an unknown field path fails only that item, with a message naming the path", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("Is it", { text: '{"answer": true, "reason": "because"}' })
      const response = yield* askBatch({
        questions: [
          { index: 1, question: "Is it?", response_model: "yes_no" },
          { index: 2, question: "Why: {Q1_result.reasons}" },
          { index: 3, question: "Because {Q1_result.reason}" }
        ]
      })
      const [, missing, fine] = response.results
      expect(missing).toMatchObject({ status: "error", attempts: 0 })
      expect(missing!.error_message).toContain("{Q1_result.reasons}")
      expect(missing!.error_message).toContain("no field 'reasons'")
      expect(fine).toMatchObject({ status: "success" })
      expect(upstream.callsFor("Why")).toHaveLength(0)
      expect(upstream.callsFor("Because")[0]!.prompt).toBe("Because because")
    }).pipe(Effect.provide(TestServer.layer())))
})
