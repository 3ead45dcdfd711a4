/** Results as a table: the answer's columns and the CSV writer shared by `?format=csv` and `llm-batch run`. */
import { describe, expect, it } from "@effect/vitest"
import type { ResultItem } from "../../src/domain/Batch.ts"
import { answerColumns, csvLine, resultCells, resultColumns, type TableResult } from "../../src/domain/resultsTable.ts"

const ok = (result: ResultItem["result"]): TableResult => ({ status: "success", result, error_message: null, model: "m", cost_usd: 0.5 })
const failed: TableResult = { status: "error", result: null, error_message: "boom", model: "m", cost_usd: null }

describe("results as a table", () => {
  it("gives a structured answer's fields their own columns, in first-seen order, and failures none", () => {
    const results = [ok({ label: "a", score: 1 }), failed, ok({ label: "b", extra: { x: 1 } })]
    const answers = answerColumns(results)
    expect(answers).toEqual(["answer_label", "answer_score", "answer_extra"])
    expect(resultColumns(answers)).toEqual(["status", ...answers, "error_message", "model", "cost_usd"])
    expect(results.map((result) => resultCells(result, answers))).toEqual([
      ["success", "a", 1, null, null, "m", 0.5],
      ["error", null, null, null, "boom", "m", null],
      ["success", "b", null, "{\"x\":1}", null, "m", 0.5]
    ])
  })

  it("keeps a text answer in `answer`, beside the fields when answers are mixed", () => {
    const answers = answerColumns([ok("plain"), ok({ k: 1 })])
    expect(answers).toEqual(["answer", "answer_k"])
    expect(resultCells(ok("plain"), answers).slice(1, 3)).toEqual(["plain", null])
    expect(answerColumns([failed])).toEqual(["answer"])
  })

  it("quotes a CSV field holding a comma, a quote or a line break, and writes null as empty", () => {
    expect(csvLine(["a,b", "say \"hi\"", "two\nlines", null, 1.5, true])).toBe("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,1.5,true\n")
  })
})
