/**
 * How `llm-batch ask` reads its input, in-process: JSON `BatchRequest` or JSONL questions, and a
 * message naming the line or field for everything it rejects.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { describeForInput, parseInput } from "../../src/cli/input.ts"

/** The message of the `BadInputError` the text is rejected with. */
const rejects = (text: string) =>
  Effect.flip(parseInput("input.txt", text)).pipe(Effect.map((error) => error.message))

describe("ask input", () => {
  it.effect("a JSON object with questions is a BatchRequest, answered as JSON", () =>
    Effect.gen(function*() {
      const input = yield* parseInput("batch.json", JSON.stringify({ questions: [{ index: 1, question: "q" }] }, null, 2))
      expect(input.format).toBe("json")
      expect(input.request.questions).toMatchObject([{ index: 1, question: "q", method: "concurrent" }])
    }))

  it.effect("JSONL is one question per line; blank lines and CRLF are fine", () =>
    Effect.gen(function*() {
      const input = yield* parseInput("q.jsonl", `{"index": 1, "question": "a"}\r\n\r\n{"index": 2, "question": "b"}\r\n`)
      expect(input.format).toBe("jsonl")
      expect(input.request.questions.map((q) => q.index)).toEqual([1, 2])
      expect(input.lines).toEqual([1, 3])
    }))

  it.effect("a single question object counts as one line of JSONL", () =>
    Effect.gen(function*() {
      const input = yield* parseInput("q.json", `{"index": 4, "question": "only"}`)
      expect(input.format).toBe("jsonl")
      expect(input.request.questions.map((q) => q.index)).toEqual([4])
    }))

  it.effect("names the field path of an invalid BatchRequest", () =>
    Effect.gen(function*() {
      const message = yield* rejects(JSON.stringify({ questions: [{ index: 1, question: "q", temperature: 5 }] }))
      expect(message).toMatch(/^input\.txt is not a valid batch: questions\[0\]\.temperature: expected/)
    }))

  it.effect("names every bad JSONL line: invalid JSON, unknown field, missing field", () =>
    Effect.gen(function*() {
      const message = yield* rejects([
        `{"index": 1, "question": "fine"}`,
        `{"index": 2, "question": "x", "temprature": 1}`,
        `not json`,
        `{"index": 4}`
      ].join("\n"))
      expect(message).toContain("line 2: temprature: unknown field")
      expect(message).toContain("line 3: not valid JSON")
      expect(message).toContain("line 4: question: required field is missing")
    }))

  it.effect("numbers JSONL lines without an index by their line", () =>
    Effect.gen(function*() {
      const input = yield* parseInput("q.jsonl", `{"question": "a"}\n\n{"index": 7, "question": "b"}\n{"question": "c"}\n`)
      expect(input.request.questions.map((q) => [q.index, q.question])).toEqual([[1, "a"], [7, "b"], [4, "c"]])
    }))

  it.effect("says what it expected for empty input, an array or a broken JSON document", () =>
    Effect.gen(function*() {
      expect(yield* rejects("  \n")).toMatch(/input\.txt is empty: expected a JSON object \{"questions": \[\.\.\.\]\} or JSONL/)
      expect(yield* rejects("[1, 2]")).toContain("got an array")
      expect(yield* rejects(`{\n  "questions": [\n`)).toMatch(/^input\.txt is not valid JSON \(SyntaxError/)
    }))

  it.effect("batch errors of JSONL input name lines instead of array positions", () =>
    Effect.gen(function*() {
      const input = yield* parseInput("q.jsonl", `{"index": 1, "question": "a"}\n\n{"index": 1, "question": "b"}\n`)
      expect(describeForInput(input, "questions[1].index: index 1 is already used by questions[0]")).toBe(
        "line 3: index: index 1 is already used by line 1"
      )
    }))
})
