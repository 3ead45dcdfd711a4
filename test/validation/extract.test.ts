import { describe, expect, it } from "@effect/vitest"
import { jsonCandidates } from "../../src/validation/extract.ts"

describe("jsonCandidates", () => {
  it("reads an answer that is JSON as a whole, scalars included", () => {
    expect(jsonCandidates(' {"a": 1} \n')).toEqual([{ a: 1 }])
    expect(jsonCandidates("42")).toEqual([42])
    expect(jsonCandidates("[1, 2]")).toEqual([[1, 2]])
  })

  it("unwraps a Markdown code fence, with or without a language tag", () => {
    expect(jsonCandidates("Here you go:\n```json\n{\"answer\": true}\n```\nAnything else?")).toEqual([{ answer: true }])
    expect(jsonCandidates("```\n[\"x\"]\n```")).toEqual([["x"]])
  })

  it("finds a balanced object in prose, ignoring brackets inside strings", () => {
    const text = 'Sure! The result is {"label": "a } b [", "nested": {"n": [1, {"m": 2}]}} as requested.'
    expect(jsonCandidates(text)).toEqual([{ label: "a } b [", nested: { n: [1, { m: 2 }] } }])
  })

  it("lists every JSON value in prose, left to right, and skips spans that are not JSON", () => {
    expect(jsonCandidates("Not {this one}, but [1] and then {\"b\": 2}.")).toEqual([[1], { b: 2 }])
  })

  it("finds nothing in plain prose", () => {
    expect(jsonCandidates("The answer is yes, because the sky is blue.")).toEqual([])
    expect(jsonCandidates("")).toEqual([])
  })

  // No timing assertion (a loaded machine made a 5 s bound flaky): a quadratic scan of this input
  // takes minutes, so the test's own timeout fails it; linear, it takes milliseconds.
  it("stays linear on pathological input (a quadratic scan would take minutes here)", () => {
    expect(jsonCandidates("[".repeat(100_000))).toEqual([])
  })
})
