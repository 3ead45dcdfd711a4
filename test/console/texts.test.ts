/**
 * What the console's job page says, without a browser: the header's counts agree with the graph's
 * legend (skipped apart from failed), a prompt's note says why its placeholders are still there,
 * and costs read the same in the header and a question's details (unknown is unknown).
 */
import { describe, expect, it } from "@effect/vitest"
import { skippedBecause } from "../../src/batch/notSent.ts"
import type { QuestionItem } from "../../src/domain/Batch.ts"
import { prompt } from "../../web/src/graph/prompt.ts"
import { GraphModel } from "../../web/src/graph/model.ts"
import { countsParts, jobCost, questionList, resultCost } from "../../web/src/format.ts"
import { successResult as result } from "../support/results.ts"

const question = (index: number, text = `question ${index}`): QuestionItem => ({
  index,
  question: text,
  method: "concurrent",
  validation_strategy: "pydantic",
  temperature: 0.2,
  max_tokens: 1000,
  cache: true
})

/** Q1 fails, Q2 (after Q1) is not sent, Q3 waits on Q4, Q4 has not answered yet, Q5 answered. */
const batch = () => {
  const model = new GraphModel([
    question(1),
    question(2, "after {Q1_result}"),
    question(3, "after {Q4_result}"),
    question(4),
    question(5),
    question(6, "after {Q2_result}")
  ])
  const failed = result(1, { status: "error", result: null, error_message: "upstream said 400", cost_usd: null })
  model.addResult(failed)
  model.addResult(result(2, { status: "error", result: null, error_message: skippedBecause(failed), attempts: 0, cost_usd: 0 }))
  model.addResult(result(5, { cost_usd: 0.0002 }))
  return model
}

describe("the console's job page texts", () => {
  it("the header's counts show skipped questions apart from failed ones, as the legend does", () => {
    const model = batch()
    const counts = { total: 6, succeeded: 1, failed: 2, pending: 3 }
    expect(model.counts()).toMatchObject({ failed: 1, skipped: 1 })
    expect(countsParts(counts, model.counts().skipped)).toEqual({
      ok: "1 ok",
      failed: "1 failed",
      skipped: "1 skipped",
      rest: "3 pending of 6"
    })
    // The jobs list has no graph: the service's own counts.
    expect(countsParts(counts)).toEqual({ ok: "1 ok", failed: "2 failed", skipped: undefined, rest: "3 pending of 6" })
  })

  it("a prompt's note says a dependency failed or was not sent, or which answers it waits for", () => {
    const model = batch()
    expect(prompt(model, 2).note).toBe("Not sent: Q1 failed.")
    expect(prompt(model, 6).note).toBe("Not sent: Q2 was not sent.")
    expect(prompt(model, 3).note).toBe("Placeholders are filled in once Q4 answers.")
    const two = new GraphModel([question(1), question(2), question(3, "{Q1_result} and {Q2_result}")])
    expect(prompt(two, 3).note).toBe("Placeholders are filled in once Q1 and Q2 answer.")
    expect(questionList([1, 2, 3, 4, 5, 6, 7])).toBe("Q1, Q2, Q3, Q4, Q5 and 2 more")
  })

  it("costs: unknown in the header names the questions whose cost is unknown, and their details say unknown", () => {
    const model = batch()
    expect(model.unknownCosts()).toEqual([1])
    expect(jobCost(null, model.unknownCosts())).toBe("unknown (not known for Q1)")
    expect(jobCost(null)).toBe("unknown")
    expect(jobCost(0.0002, [])).toBe("$0.00020")
    expect(resultCost(model.result(1)!)).toBe("unknown")
    // Not sent, or answered from the cache: nothing was spent, which is not an unknown.
    expect(resultCost(model.result(2)!)).toBe("none (not sent)")
    expect(resultCost(result(7, { cached: true, attempts: 0, cost_usd: 0 }))).toBe("none (cached)")
    expect(resultCost(result(8, { cost_usd: 0 }))).toBe("$0")
  })
})
