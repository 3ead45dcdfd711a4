/**
 * The batch deadline (BATCH_TIMEOUT_MS) and cancellation, in memory under TestClock: what ends,
 * what is kept, and what is never sent. The end-to-end deadline test is deadline.test.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { finished, runScripted, until } from "../support/engine.ts"

const env = { BATCH_TIMEOUT_MS: "5000" }
const deadline = "interrupted: the batch deadline of 5000 ms (BATCH_TIMEOUT_MS) passed before this question finished"

/** A quick question, one whose call made 3 attempts and never answers, and one waiting for it. */
const mixed = [
  { index: 1, question: "quick" },
  { index: 2, question: "stuck" },
  { index: 3, question: "after {Q2_result}" }
]
const mixedScript = () =>
  new LlmScript().script("quick", { delay: "1 second", text: "done" }).script("stuck", { never: true, attempts: 3 })

describe("the batch deadline", () => {
  it.effect("answers at BATCH_TIMEOUT_MS, not before", () =>
    Effect.gen(function*() {
      const script = mixedScript()
      const fiber = yield* Effect.forkChild(runScripted(script, mixed, { env }))
      yield* until(() => script.calls.length === 2)
      yield* TestClock.adjust("4999 millis")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      yield* finished(fiber)
    }))

  /** The mixed batch run until two calls are out, then the clock moved past BATCH_TIMEOUT_MS. */
  const pastTheDeadline = Effect.gen(function*() {
    const script = mixedScript()
    const fiber = yield* Effect.forkChild(runScripted(script, mixed, { env }))
    yield* until(() => script.calls.length === 2)
    yield* TestClock.adjust("5 seconds")
    return { script, response: yield* finished(fiber) }
  })

  it.effect("ends a question still running as an error naming the deadline, with the attempts it made", () =>
    Effect.gen(function*() {
      const { script, response } = yield* pastTheDeadline
      expect(response.results[1]).toMatchObject({ index: 2, status: "error", attempts: 3, error_message: deadline })
      expect(script.callsFor("stuck")[0]!.state).toBe("interrupted")
    }))

  it.effect("keeps the answers of questions that finished before the deadline", () =>
    Effect.gen(function*() {
      const { script, response } = yield* pastTheDeadline
      expect(response.results[0]).toMatchObject({ index: 1, status: "success", result: "done", attempts: 1 })
    }))

  it.effect("ends a question still waiting for its dependency with the deadline message and no attempts", () =>
    Effect.gen(function*() {
      const { script, response } = yield* pastTheDeadline
      expect(response.results[2]).toMatchObject({ index: 3, status: "error", attempts: 0, error_message: deadline })
      expect(script.callsFor("after")).toHaveLength(0)
    }))
})

describe("cancellation", () => {
  it.effect("interrupting runBatch interrupts the calls in flight", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("forever", { never: true })
      const fiber = yield* Effect.forkChild(runScripted(script, [
        { index: 1, question: "forever 1" },
        { index: 2, question: "forever 2" }
      ]))
      yield* until(() => script.inFlight === 2)
      yield* Fiber.interrupt(fiber)
      expect(script.calls.map((call) => call.state)).toEqual(["interrupted", "interrupted"])
      expect(script.inFlight).toBe(0)
    }))

  it.effect("questions not started when runBatch is interrupted are never sent", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("first", { delay: "1 second" })
      const fiber = yield* Effect.forkChild(runScripted(script, [
        { index: 1, question: "first", method: "sequential" },
        { index: 2, question: "second", method: "sequential" },
        { index: 3, question: "third uses {Q1_result}" }
      ]))
      yield* until(() => script.calls.length === 1)
      yield* Fiber.interrupt(fiber)
      // Long after the first call would have answered, nothing else has gone out.
      yield* TestClock.adjust("1 hour")
      expect(script.calls.map((call) => [call.prompt, call.state])).toEqual([["first", "interrupted"]])
    }))
})
