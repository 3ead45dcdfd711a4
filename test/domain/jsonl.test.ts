/**
 * JSONL questions as `POST /batches` and `llm-batch ask|submit` read them: one `QuestionItem` per
 * line, numbered by line when `index` is missing, every problem naming its line.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { describeLines, JsonlQuestionReader, parseJsonlQuestions } from "../../src/domain/jsonl.ts"

const problems = (text: string) => {
  const parsed = parseJsonlQuestions(text)
  return Result.isFailure(parsed) ? parsed.failure : []
}

describe("JSONL questions", () => {
  it("ignore a leading byte-order mark, as editors on Windows write it", () => {
    const parsed = parseJsonlQuestions(`\uFEFF{"question": "a"}\r\n{"question": "b"}\r\n`)
    expect(Result.isSuccess(parsed) && parsed.success.questions.map((q) => [q.index, q.question])).toEqual([[1, "a"], [2, "b"]])
  })

  it("list at most ten bad lines, then how many more", () => {
    const listed = problems(Array.from({ length: 13 }, () => "not json").join("\n"))
    expect(listed).toHaveLength(11)
    expect(listed[0]).toMatch(/^line 1: not valid JSON/)
    expect(listed[9]).toMatch(/^line 10: /)
    expect(listed[10]).toBe("… and 3 more bad lines")
  })

  it("a line that is JSON but not an object is refused with its line", () => {
    expect(problems(`{"question": "a"}\n[1, 2]\n"text"\n`)).toEqual([
      expect.stringMatching(/^line 2: /),
      expect.stringMatching(/^line 3: /)
    ])
  })

  it("describeLines turns positions into lines in a batch error, and leaves unknown positions alone", () => {
    expect(describeLines([1, 3, 4], "questions[2].temperature: expected a value between 0 and 2; questions[1]: x"))
      .toBe("line 4: temperature: expected a value between 0 and 2; line 3: x")
    expect(describeLines([1], "questions[5].index: bad")).toBe("questions[5].index: bad")
  })

  it("a reader fed the text in pieces, split anywhere, reads the same questions as the whole text", () => {
    const text = `{"question": "première"}\n\n{"index": 7, "question": "b"}\r\n{"question": "c"}`
    for (const size of [1, 2, 5, 13, text.length]) {
      const reader = new JsonlQuestionReader()
      for (let at = 0; at < text.length; at += size) reader.push(text.slice(at, at + size))
      const parsed = reader.end()
      expect(Result.isSuccess(parsed) && parsed.success.questions.map((q) => [q.index, q.question]))
        .toEqual([[1, "première"], [7, "b"], [4, "c"]])
    }
  })

  it("a reader stops keeping questions past its limit, and says which limit", () => {
    const reader = new JsonlQuestionReader(3)
    reader.push(`{"question": "a"}\n{"question": "b"}\n{"question": "c"}\n`)
    expect(reader.full).toBe(false)
    reader.push(`{"question": "d"}\n{"question": "e"}\n`)
    expect(reader.full).toBe(true)
    expect(reader.tooLarge).toBe(false)
    const parsed = reader.end()
    expect(Result.isFailure(parsed) && parsed.failure).toEqual(["the body holds more than 3 questions, the limit (MAX_JOB_SIZE)"])
  })

  it("a reader counts each line's JSON values before parsing it, and stops past MAX_JSON_VALUES", () => {
    const reader = new JsonlQuestionReader(100, 10)
    reader.push(`{"question": "a", "stop": ["x", "y"]}\n`)
    expect(reader.full).toBe(false)
    reader.push(`{"question": "b", "stop": ${JSON.stringify(Array.from({ length: 20 }, () => "x"))}}\n`)
    expect(reader.tooLarge).toBe(true)
    const parsed = reader.end()
    expect(Result.isFailure(parsed) && parsed.failure[0]).toContain("more than 10 JSON values, the limit (MAX_JSON_VALUES)")
  })
})
