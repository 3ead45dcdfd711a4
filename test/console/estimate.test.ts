/**
 * The *Run a batch* page's estimate, without a browser: each lane's cost and time, which counts are
 * exact, and a budget the prompts alone exceed, as the rows the page shows.
 */
import { describe, expect, it } from "@effect/vitest"
import type { JobEstimate, ModelEstimate } from "../../src/domain/Estimate.ts"
import { estimateRows, seconds } from "../../web/src/estimate.ts"

const model = (name: string, count: "exact" | "approximate"): ModelEstimate => ({
  model: name,
  questions: 1,
  prompt_tokens: { min: 14, max: 14 },
  prompt_tokens_count: count,
  tokenizer: count === "exact" ? "o200k_base" : "chars/4",
  completion_tokens_max: 100,
  cost_usd: { sync: null, batch: null },
  batch_api: true,
  latency: { seconds: 5, source: "default", samples: 0 }
})

const estimate: JobEstimate = {
  questions: 3,
  lane: "batch",
  waves: 3,
  prompt_tokens: { min: 40, max: 1040 },
  completion_tokens_max: 3000,
  cost_usd: { sync: { min: 0.000006, max: 0.0018 }, batch: { min: 0.000003, max: 0.0009 } },
  unpriced_models: [],
  eta: {
    sync: { min_seconds: 15, max_seconds: 15, basis: "3 waves × 5 s a call" },
    batch: { min_seconds: 183, max_seconds: 3 * 86_461, basis: "3 waves × …" }
  },
  budget: { max_cost_usd: 0.000001, lower_bound_usd: 0.000003, exceeded: true },
  models: [model("openai/gpt-4o-mini", "exact"), model("anthropic/claude-haiku-4-5", "approximate")],
  notes: []
}

describe("the console's estimate", () => {
  it("shows each lane's cost range and time, and which models' counts are exact", () => {
    const rows = new Map(estimateRows(estimate))
    expect(rows.get("Questions")).toBe("3 in 3 waves")
    expect(rows.get("Prompt tokens")).toBe("40 to 1,040 (exact: openai/gpt-4o-mini; approximate: anthropic/claude-haiku-4-5)")
    expect(rows.get("Completion tokens")).toBe("at most 3,000")
    expect(rows.get("Sync lane")).toBe("$0.0000060 to $0.0018, about 15 s")
    expect(rows.get("Batch lane")).toBe("$0.0000030 to $0.00090, 3 min to 72.1 h")
  })

  it("says when the budget is below what the prompts alone cost, and names models without a price", () => {
    const rows = new Map(estimateRows({ ...estimate, unpriced_models: ["ollama/llama3.2"], eta: { ...estimate.eta, batch: null } }))
    expect(rows.get("Budget")).toBe(
      "max_cost_usd $0.0000010 is below the least this job can cost on lane batch ($0.0000030): the service would refuse it"
    )
    expect(rows.get("No price for")).toBe("ollama/llama3.2")
    expect(rows.get("Batch lane")).toBe("not every model's provider has a batch API")
  })

  it("writes durations in seconds, minutes or hours", () => {
    expect([seconds(15), seconds(183), seconds(86_461)]).toEqual(["15 s", "3 min", "24 h"])
  })
})
