/**
 * The dependency graph, in memory: sequential chains, `{Q<n>_result}` substitution, skipped
 * dependents, concurrency and result order, with a scripted LlmClient under TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import type { ResultItem } from "../../src/domain/Batch.ts"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { finished, runScripted, until } from "../support/engine.ts"

describe("the batch engine's dependency graph", () => {
  it.effect("runs a sequential chain one question after another, in request order", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("step", { delay: "1 second" })
      const fiber = yield* Effect.forkChild(runScripted(script, [
        { index: 3, question: "step a", method: "sequential" },
        { index: 1, question: "step b", method: "sequential" },
        { index: 2, question: "step c", method: "sequential" }
      ]))
      yield* until(() => script.calls.length === 1)
      yield* TestClock.adjust("3 seconds")
      const response = yield* finished(fiber)
      expect(script.calls.map((call) => [call.prompt, call.startedAt])).toEqual([
        ["step a", 0],
        ["step b", 1_000],
        ["step c", 2_000]
      ])
      expect(script.peakInFlight).toBe(1)
      expect(response.results.every((result) => result.status === "success")).toBe(true)
    }))

  it.effect("substitutes string and object answers, and fields of objects, into later prompts", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
        .script("capital", { text: "Paris" })
        .script("facts", { text: '{"city": "Paris", "population": {"millions": 2.1}}' })
      const response = yield* runScripted(script, [
        { index: 1, question: "The capital of France?" },
        { index: 2, question: "Some facts as JSON", validation_strategy: "json" },
        { index: 3, question: "About {Q1_result}: {Q2_result}, {Q2_result.population.millions} million" }
      ])
      expect(script.callsFor("About")[0]!.prompt).toBe(
        'About Paris: {"city":"Paris","population":{"millions":2.1}}, 2.1 million'
      )
      expect(response.results[2]).toMatchObject({ status: "success" })
    }))

  it.effect("skips every dependent of a failed question, naming the root failure, and never sends them", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script("root", { fail: { status: 400, message: "openai answered HTTP 400: bad" } })
      const response = yield* runScripted(script, [
        { index: 1, question: "root" },
        { index: 2, question: "child of {Q1_result}" },
        { index: 3, question: "grandchild of {Q2_result}" },
        { index: 4, question: "unrelated" }
      ])
      const [root, child, grandchild, unrelated] = response.results
      expect(root).toMatchObject({ status: "error", attempts: 1, error_message: "openai answered HTTP 400: bad" })
      for (const skipped of [child, grandchild]) {
        expect(skipped).toMatchObject({
          status: "error",
          attempts: 0,
          error_message: "not sent: it depends on question 1, which failed: openai answered HTTP 400: bad"
        })
      }
      expect(unrelated).toMatchObject({ status: "success" })
      expect(script.calls.map((call) => call.prompt)).toEqual(["root", "unrelated"])
    }))

  it.effect("starts independent questions together", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("slow", { delay: "1 second" })
      const fiber = yield* Effect.forkChild(runScripted(script, [
        { index: 1, question: "slow 1" },
        { index: 2, question: "slow 2" },
        { index: 3, question: "slow 3" }
      ]))
      yield* until(() => script.calls.length === 3)
      expect(script.inFlight).toBe(3)
      // One second of clock time answers all three: none waited for another.
      yield* TestClock.adjust("1 second")
      const response = yield* finished(fiber)
      expect(script.calls.map((call) => call.startedAt)).toEqual([0, 0, 0])
      expect(response.results.map((result) => result.status)).toEqual(["success", "success", "success"])
    }))

  it.effect("returns results sorted by index whatever order they finish in", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
        .script("late", { delay: "2 seconds" })
        .script("middle", { delay: "1 second" })
      const reported: Array<number> = []
      const onResult = (result: ResultItem) => Effect.sync(() => reported.push(result.index))
      const fiber = yield* Effect.forkChild(runScripted(script, [
        { index: 3, question: "early" },
        { index: 1, question: "late" },
        { index: 2, question: "middle" }
      ], { run: { onResult } }))
      yield* until(() => script.calls.length === 3)
      yield* TestClock.adjust("2 seconds")
      const response = yield* finished(fiber)
      expect(reported).toEqual([3, 2, 1])
      expect(response.results.map((result) => result.index)).toEqual([1, 2, 3])
    }))
})
