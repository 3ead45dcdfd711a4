/** `llm-batch estimate`'s summary: dollars without exponents, durations in the unit a person reads. */
import { describe, expect, it } from "@effect/vitest"
import { duration, estimateSummary, usd } from "../../src/cli/estimateSummary.ts"
import type { JobEstimate } from "../../src/domain/Estimate.ts"

const estimate: JobEstimate = {
  questions: 2,
  lane: "sync",
  waves: 1,
  prompt_tokens: { min: 32, max: 32 },
  completion_tokens_max: 150,
  cost_usd: { sync: { min: 0.0000048, max: 0.0000948 }, batch: null },
  unpriced_models: [],
  eta: { sync: { min_seconds: 5, max_seconds: 5, basis: "1 wave × 5 s a call" }, batch: null },
  budget: { max_cost_usd: 0.000001, lower_bound_usd: 0.0000048, exceeded: true },
  models: [],
  notes: []
}

describe("the estimate's summary", () => {
  it("writes dollars with three significant digits and never an exponent", () => {
    expect(usd(0.0000048)).toBe("$0.00000480")
    expect(usd(12.345)).toBe("$12.35")
    expect(usd(0)).toBe("$0")
  })

  it("writes durations in seconds, minutes or hours", () => {
    expect(duration(5)).toBe("5 s")
    expect(duration(61 * 60)).toBe("61 min")
    expect(duration(24 * 3600 + 61)).toBe("24 h")
  })

  it("says each lane's cost and time, and a budget the prompts alone exceed", () => {
    const text = estimateSummary(estimate)
    expect(text).toContain("sync:  $0.00000480 to $0.0000948, about 5 s (1 wave × 5 s a call)")
    expect(text).toContain("batch: cost unknown, no batch API for every model")
    expect(text).toContain("max_cost_usd $0.00000100 is exceeded: the prompts alone cost at least $0.00000480 on lane sync")
  })
})
