/**
 * The console's lane, without a browser: the job form sends the lane picked (a JSONL batch on
 * another lane than sync goes as JSON, since JSONL carries only questions), a JSON batch's own lane
 * shows in the selector, and the job page's provider batches table reads as the service reports.
 */
import { describe, expect, it } from "@effect/vitest"
import { jobBody, ownLane, parseInput } from "../../web/src/views/input.ts"
import { providerBatchCells, providerBatchColumns } from "../../web/src/format.ts"

describe("the console's job form", () => {
  it("sends a JSON batch with the lane picked, over its own", () => {
    const parsed = parseInput(JSON.stringify({ questions: [{ index: 1, question: "q" }], metadata: { a: "b" }, lane: "auto" }))
    expect(ownLane(parsed)).toBe("auto")
    expect(jobBody(parsed, "batch")).toEqual({
      json: { questions: [{ index: 1, question: "q" }], metadata: { a: "b" }, lane: "batch" }
    })
    expect(ownLane(parseInput(JSON.stringify({ questions: [{ index: 1, question: "q" }] })))).toBeUndefined()
  })

  it("sends JSONL as it is on the sync lane, and as JSON with its questions numbered by line on another", () => {
    const text = `{"question": "first"}\n\n{"question": "third", "temperature": 0}\n`
    const parsed = parseInput(text)
    expect(jobBody(parsed, "sync")).toEqual({ jsonl: text })
    expect(jobBody(parsed, "batch")).toMatchObject({
      json: {
        lane: "batch",
        questions: [{ index: 1, question: "first" }, { index: 3, question: "third", temperature: 0 }]
      }
    })
  })

  it("sends nothing for an empty or invalid batch", () => {
    expect(jobBody(parseInput(""), "sync")).toBeUndefined()
    expect(jobBody(parseInput(`{"questions": [{"index": 1}]}`), "batch")).toBeUndefined()
  })
})

describe("the job page's provider batches", () => {
  it("show wave, provider, id, status, requests, succeeded and failed; an id not given yet says so", () => {
    expect(providerBatchColumns).toEqual(["Wave", "Provider", "Id", "Status", "Requests", "Succeeded", "Failed"])
    expect(providerBatchCells({
      provider: "openai",
      id: "batch_abc",
      wave: 2,
      status: "in_progress",
      requests: 12_000,
      succeeded: 11_500,
      failed: 3
    })).toEqual(["2", "openai", "batch_abc", "in progress", "12,000", "11,500", "3"])
    expect(providerBatchCells({
      provider: "anthropic",
      id: null,
      wave: 1,
      status: "submitting",
      requests: 1,
      succeeded: 0,
      failed: 0
    })[2]).toBe("not accepted yet")
  })
})
