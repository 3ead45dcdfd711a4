import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { planBatch } from "../../src/batch/plan.ts"
import { BatchRequest } from "../../src/domain/Batch.ts"

const batch = (questions: ReadonlyArray<Record<string, unknown>>) =>
  Schema.decodeUnknownSync(BatchRequest)({ questions })

const plan = (questions: ReadonlyArray<Record<string, unknown>>) =>
  Effect.runSyncExit(planBatch(batch(questions), { maxBatchSize: 10_000, maxQuestionChars: 1000, maxTokensLimit: 1000, apiBaseOverride: "allow" }))

describe("planBatch", () => {
  it("chains sequential items in request order and adds placeholder references", () => {
    const exit = plan([
      { index: 5, question: "a", method: "sequential" },
      { index: 1, question: "b" },
      { index: 3, question: "c {Q1_result}", method: "sequential" }
    ])
    expect(Exit.isSuccess(exit) && exit.value.map((p) => [p.item.index, [...p.dependsOn].sort()])).toEqual([
      [5, []],
      [1, []],
      [3, [1, 5]]
    ])
  })

  it("handles a 5,000-item sequential chain without deep recursion", () => {
    const exit = plan(Array.from({ length: 5_000 }, (_, i) => ({ index: i, question: `q${i}`, method: "sequential" })))
    expect(Exit.isSuccess(exit)).toBe(true)
  })

  it("names the items of a cycle in order", () => {
    const exit = plan([
      { index: 1, question: "x {Q2_result}" },
      { index: 2, question: "y {Q3_result}" },
      { index: 3, question: "z {Q1_result}" }
    ])
    expect(Exit.isFailure(exit) && String(exit.cause)).toContain("Q1 → Q2 → Q3 → Q1")
  })
})
