/**
 * A batch is planned once per request: a surface that checks it first (POST /ask/stream's early
 * 400) hands the plan to the engine, which runs it as planned instead of planning it again.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { runPlan } from "../../src/batch/engine.ts"
import { planBatch } from "../../src/batch/plan.ts"
import { streamPlan } from "../../src/batch/stream.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { batchOf, engineLayer } from "../support/engine.ts"

const questions = [
  { index: 1, question: "one" },
  { index: 2, question: "two" },
  { index: 3, question: "three" }
]

/** Planned under a larger MAX_BATCH_SIZE than the service's (2): planning it again would refuse it. */
const plannedOverTheLimit = Effect.gen(function*() {
  const config = yield* AppConfig
  return yield* planBatch(batchOf(questions), { ...config, maxBatchSize: questions.length })
})

const engine = () => engineLayer(new LlmScript(), { MAX_BATCH_SIZE: "2" })

describe("planning once", () => {
  it.effect("runPlan runs the plan it is given without checking the batch again", () =>
    Effect.gen(function*() {
      const response = yield* runPlan(yield* plannedOverTheLimit)
      expect(response.results.map((result) => [result.index, result.status])).toEqual([
        [1, "success"],
        [2, "success"],
        [3, "success"]
      ])
    }).pipe(Effect.provide(engine())))

  it.effect("streamPlan streams the plan it is given without checking the batch again", () =>
    Effect.gen(function*() {
      const results = yield* Stream.runCollect(streamPlan(yield* plannedOverTheLimit, ""))
      expect(results.map((result) => result.index).sort()).toEqual([1, 2, 3])
    }).pipe(Effect.provide(engine())))
})
