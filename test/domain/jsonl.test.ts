/**
 * JSONL questions as `POST /batches` and `llm-batch ask|submit` read them: one `QuestionItem` per
 * line, numbered by line when `index` is missing, every problem naming its line.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { describeLines, parseJsonlQuestions } from "../../src/domain/jsonl.ts"

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
})
