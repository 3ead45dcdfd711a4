import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { checkBatch, planBatch, type PlanLimits } from "../../src/batch/plan.ts"
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

const failure = (exit: Exit.Exit<unknown, unknown>) => Exit.isFailure(exit) ? String(exit.cause) : "no failure"

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

describe("answer checks of many questions", () => {
  const schema = { type: "object", properties: { label: { type: "string" } }, required: ["label"] }

  it("questions with the same inline schema share one compiled check", () => {
    const exit = plan([
      { index: 1, question: "a", response_schema: schema },
      { index: 2, question: "b", response_schema: { ...schema } },
      { index: 3, question: "c", response_schema: { ...schema, required: [] } }
    ])
    expect(Exit.isSuccess(exit)).toBe(true)
    if (Exit.isSuccess(exit)) {
      const [first, second, third] = exit.value.map((item) => item.check)
      expect(second).toBe(first)
      expect(third).not.toBe(first)
    }
  })

  it("a shared schema does not let a later question name a response_model beside it", () => {
    const exit = plan([
      { index: 1, question: "a", response_schema: schema },
      { index: 2, question: "b", response_schema: schema, response_model: "Sentiment" }
    ])
    expect(failure(exit)).toContain("questions[1]: give response_model or response_schema, not both")
  })

  it("checkBatch checks every schema of a job, keeping none", () => {
    const questions = Array.from({ length: 250 }, (_, n) => ({
      index: n + 1,
      question: "q",
      response_schema: { type: "object", properties: { [`field${n}`]: { type: "string" } } }
    }))
    const checked = Effect.runSyncExit(checkBatch(batch(questions), limits))
    expect(Exit.isSuccess(checked) && checked.value.map((item) => Object.keys(item))).toEqual(
      Array.from({ length: 250 }, () => ["item", "dependsOn"])
    )
    const bad = [...questions, { index: 251, question: "q", response_schema: { type: "no such type" } }]
    expect(failure(Effect.runSyncExit(checkBatch(batch(bad), limits)))).toContain("questions[250].response_schema")
  })
})
