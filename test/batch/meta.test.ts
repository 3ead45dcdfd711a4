/**
 * A question's `meta` comes back unchanged on its result, whatever ends the question: an answer, a
 * failure, a skipped dependent, an unknown provider, the batch deadline. Too large a meta is refused.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { TestClock } from "effect/testing"
import { BatchRequest, maxMetaChars } from "../../src/domain/Batch.ts"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { finished, runScripted, until } from "../support/engine.ts"

const meta = (row: number) => ({ id: `row-${row}`, row, flagged: row % 2 === 0, note: null })

describe("a question's meta", () => {
  it.effect("comes back on every result: answered, failed, skipped, unknown provider, cut by the deadline", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
        .always("fine", {})
        .always("broken", { fail: { status: 400, message: "openai answered HTTP 400: bad" } })
        .always("slow", { delay: "1 hour" })
      const fiber = yield* Effect.forkChild(runScripted(script, [
        { index: 1, question: "fine", meta: meta(1) },
        { index: 2, question: "broken", meta: meta(2) },
        { index: 3, question: "after {Q2_result}", meta: meta(3) },
        { index: 4, question: "fine", model: "nowhere/model", meta: meta(4) },
        { index: 5, question: "slow", meta: meta(5) },
        { index: 6, question: "fine" }
      ], { env: { BATCH_TIMEOUT_MS: "1000" } }))
      yield* until(() => script.calls.some((call) => call.prompt === "slow"))
      yield* TestClock.adjust("2 seconds")
      const response = yield* finished(fiber)
      expect(response.results.map((result) => [result.index, result.status, result.meta])).toEqual([
        [1, "success", meta(1)],
        [2, "error", meta(2)],
        [3, "error", meta(3)],
        [4, "error", meta(4)],
        [5, "error", meta(5)],
        [6, "success", undefined]
      ])
      expect(response.results[2]!.error_message).toContain("depends on question 2")
      expect(response.results[4]!.error_message).toContain("BATCH_TIMEOUT_MS")
      expect("meta" in response.results[5]!).toBe(false)
    }))

  it.effect("comes back on a question the budget stopped", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("q", { usage: { prompt_tokens: 1000, completion_tokens: 1000 } })
      const response = yield* runScripted(
        script,
        [1, 2, 3].map((index) => ({ index, question: `q${index}`, model: "openai/gpt-4o-mini", meta: meta(index) })),
        { env: { BATCH_CONCURRENCY: "1" }, run: { maxCostUsd: 0.000001 } }
      )
      expect(response.results[2]!.error_message).toContain("budget exceeded")
      expect(response.results.map((result) => result.meta)).toEqual([meta(1), meta(2), meta(3)])
    }))

  it("is refused when it is not an object of scalars or is larger than the limit", () => {
    const decode = Schema.decodeUnknownExit(BatchRequest)
    const ask = (value: unknown) => decode({ questions: [{ index: 1, question: "q", meta: value }] })
    expect(Exit.isSuccess(ask({ id: "a", n: 1.5, ok: true, none: null }))).toBe(true)
    expect(Exit.isFailure(ask({ nested: { a: 1 } }))).toBe(true)
    expect(Exit.isFailure(ask(["a"]))).toBe(true)
    expect(Exit.isFailure(ask({ big: "x".repeat(maxMetaChars) }))).toBe(true)
  })
})
