/**
 * The console's graph model, without a browser: the planner's dependencies, statuses read from
 * results the way the engine writes them, and when isolated questions become blocks.
 */
import { describe, expect, it } from "@effect/vitest"
import { cancelledMessage, skippedBecause } from "../../src/batch/notSent.ts"
import type { QuestionItem } from "../../src/domain/Batch.ts"
import { GraphModel } from "../../web/src/graph/model.ts"
import { successResult } from "../support/results.ts"

const question = (index: number, text = `question ${index}`, method: QuestionItem["method"] = "concurrent"): QuestionItem => ({
  index,
  question: text,
  method,
  validation_strategy: "pydantic",
  temperature: 0.2,
  max_tokens: 1000,
  cache: true
})

const result = successResult

describe("the console's graph model", () => {
  it("draws the planner's edges: sequential order and {Q<n>_result} references", () => {
    const model = new GraphModel([
      question(1, "first", "sequential"),
      question(2, "free"),
      question(3, "second", "sequential"),
      question(4, "uses {Q2_result} and {Q3_result.name}")
    ])
    expect(Object.fromEntries(model.dependsOn)).toEqual({ 1: [], 2: [], 3: [1], 4: [2, 3] })
    expect(model.connected).toEqual([1, 2, 3, 4])
    expect(model.loose).toEqual([])
  })

  it("tells failed from skipped by the engine's own messages, and running from pending while active", () => {
    const model = new GraphModel([question(1), question(2, "{Q1_result}"), question(3, "{Q2_result}"), question(4), question(5)])
    expect(model.status(2)).toBe("pending")
    model.active = true
    expect([1, 2, 3, 4].map((i) => model.status(i))).toEqual(["running", "pending", "pending", "running"])
    const failed = result(1, { status: "error", result: null, error_message: "upstream said 400" })
    model.addResult(failed)
    const skipped = result(2, { status: "error", result: null, error_message: skippedBecause(failed), attempts: 0 })
    expect(model.addResult(skipped)).toEqual([2, 3])
    model.addResult(result(3, { status: "error", result: null, error_message: skippedBecause(skipped), attempts: 0 }))
    model.addResult(result(4, { status: "error", result: null, error_message: cancelledMessage, attempts: 0 }))
    model.addResult(result(5))
    expect([1, 2, 3, 4, 5].map((i) => model.status(i))).toEqual(["failed", "skipped", "skipped", "skipped", "succeeded"])
    expect(model.counts()).toEqual({ pending: 0, running: 0, succeeded: 1, failed: 1, skipped: 3 })
  })

  it("draws up to 100 isolated questions one by one, and more in blocks of 100 (at most 200 blocks)", () => {
    const isolated = (n: number) => Array.from({ length: n }, (_, i) => question(i + 1))
    expect(new GraphModel(isolated(100)).loose).toHaveLength(100)
    const five = new GraphModel(isolated(5_000))
    expect(five.loose).toEqual([])
    expect(five.blocks.map((block) => block.members.length)).toEqual(Array.from({ length: 50 }, () => 100))
    expect(five.blockOf.get(5_000)?.id).toBe("block-49")
    const fifty = new GraphModel(isolated(50_000))
    expect(fifty.blocks).toHaveLength(200)
    expect(fifty.blocks[0]!.members).toHaveLength(250)
  })

  it("groups more than 500 questions with dependencies into linked blocks, with an edge where one waits for another", () => {
    const chain = Array.from({ length: 2_000 }, (_, i) => question(i + 1, "step", "sequential"))
    const model = new GraphModel([...chain, question(2_001, "{Q1_result} and {Q2000_result}")])
    expect(model.connected).toEqual([])
    expect(model.blocks.map((block) => [block.members.length, block.linked])).toEqual(
      [...Array.from({ length: 20 }, () => [100, true]), [1, true]]
    )
    expect(model.blockEdges).toEqual([
      ...Array.from({ length: 19 }, (_, k) => [`block-${k}`, `block-${k + 1}`]),
      ["block-0", "block-20"],
      ["block-19", "block-20"]
    ])
  })

  it("keeps questions with an edge out of the blocks", () => {
    const model = new GraphModel([question(1), question(2, "{Q1_result}"), ...Array.from({ length: 150 }, (_, i) => question(i + 3))])
    expect(model.connected).toEqual([1, 2])
    expect(model.blocks.flatMap((block) => block.members)).toHaveLength(150)
    expect(model.blocks.every((block) => !block.linked)).toBe(true)
    expect(model.blockOf.has(1)).toBe(false)
  })
})
