/**
 * The engine's options for a job's chunk: results known before the run (`settled`), no batch
 * deadline (`deadline: false`); with a scripted LlmClient under TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { runPlan } from "../../src/batch/engine.ts"
import { planBatch } from "../../src/batch/plan.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import type { ResultItem } from "../../src/domain/Batch.ts"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { batchOf, engineLayer, finished, until } from "../support/engine.ts"
import { successResult } from "../support/results.ts"

const planOf = (questions: ReadonlyArray<Record<string, unknown>>) =>
  Effect.gen(function*() {
    return yield* planBatch(batchOf(questions), yield* AppConfig)
  })

const stored = (index: number, result: string): ResultItem =>
  successResult(index, { result, latency_ms: 1, usage: { prompt_tokens: 10, completion_tokens: 5 }, cost_usd: 0.000005 })

describe("running part of a batch", () => {
  it.effect("a dependency outside the plan resolves from the settled results, without a call", () => {
    const script = new LlmScript()
    return Effect.gen(function*() {
      const whole = yield* planOf([{ index: 1, question: "first" }, { index: 2, question: "then {Q1_result}" }])
      const response = yield* runPlan(whole.slice(1), { settled: new Map([[1, stored(1, "kept")]]) })
      expect(script.calls.map((call) => call.prompt)).toEqual(["then kept"])
      expect(response.results.map((result) => result.index)).toEqual([2])
    }).pipe(Effect.provide(engineLayer(script)))
  })

  it.effect("a planned question already settled is neither asked nor reported again", () => {
    const script = new LlmScript()
    return Effect.gen(function*() {
      const plan = yield* planOf([{ index: 1, question: "first" }, { index: 2, question: "second" }])
      const reported: Array<number> = []
      const response = yield* runPlan(plan, {
        settled: new Map([[1, stored(1, "kept")]]),
        onResult: (result) => Effect.sync(() => reported.push(result.index))
      })
      expect(script.calls.map((call) => call.prompt)).toEqual(["second"])
      expect(reported).toEqual([2])
      expect(response.results[0]).toEqual(stored(1, "kept"))
    }).pipe(Effect.provide(engineLayer(script)))
  })

  it.effect("without a deadline a question may run past BATCH_TIMEOUT_MS", () => {
    const script = new LlmScript().always("slow", { delay: "5 seconds" })
    return Effect.gen(function*() {
      const plan = yield* planOf([{ index: 1, question: "slow" }])
      const fiber = yield* Effect.forkChild(runPlan(plan, { deadline: false }))
      yield* until(() => script.calls.length === 1)
      yield* TestClock.adjust("5 seconds")
      const response = yield* finished(fiber)
      expect(response.results[0]).toMatchObject({ status: "success", result: "answer to: slow" })
    }).pipe(Effect.provide(engineLayer(script, { BATCH_TIMEOUT_MS: "1000" })))
  })
})
