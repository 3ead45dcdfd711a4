import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { planBatch, type PlanLimits } from "../../src/batch/plan.ts"
import { BatchRequest } from "../../src/domain/Batch.ts"

const batch = (questions: ReadonlyArray<Record<string, unknown>>) =>
  Schema.decodeUnknownSync(BatchRequest)({ questions })

const limits: PlanLimits = {
  maxBatchSize: 10_000,
  maxQuestionChars: 1000,
  maxTokensLimit: 1000,
  apiBaseOverride: "public",
  allowedApiBases: [],
  defaultModel: "openai/gpt-4o-mini",
  fallbacks: new Map(),
  modelPrices: new Map()
}

const plan = (questions: ReadonlyArray<Record<string, unknown>>, overrides: Partial<PlanLimits> = {}) =>
  Effect.runSyncExit(planBatch(batch(questions), { ...limits, ...overrides }))

const failure = (exit: ReturnType<typeof plan>) => Exit.isFailure(exit) ? String(exit.cause) : "no failure"

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

describe("planBatch and api_base", () => {
  it("refuses an internal api_base, naming the field and ALLOWED_API_BASES", () => {
    const exit = plan([{ index: 1, question: "a" }, { index: 2, question: "b", api_base: "http://[::ffff:169.254.169.254]/v1" }])
    expect(failure(exit)).toContain("questions[1].api_base")
    expect(failure(exit)).toContain("ALLOWED_API_BASES")
  })

  it("refuses a localhost name without resolving it", () => {
    expect(failure(plan([{ index: 1, question: "a", api_base: "http://ollama.localhost:11434" }]))).toContain(
      "ALLOWED_API_BASES"
    )
  })

  it("accepts an internal api_base whose origin is allow-listed", () => {
    const exit = plan([{ index: 1, question: "a", api_base: "http://127.1:8080/v1" }], {
      allowedApiBases: ["http://127.0.0.1:8080"]
    })
    expect(Exit.isSuccess(exit)).toBe(true)
  })

  it("accepts a public api_base", () => {
    expect(Exit.isSuccess(plan([{ index: 1, question: "a", api_base: "https://8.8.8.8/v1" }]))).toBe(true)
  })

  it("accepts an internal api_base with API_BASE_OVERRIDE=any", () => {
    const exit = plan([{ index: 1, question: "a", api_base: "http://10.0.0.1/v1" }], { apiBaseOverride: "any" })
    expect(Exit.isSuccess(exit)).toBe(true)
  })
})
