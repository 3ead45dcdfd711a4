/**
 * The console's dataset upload without a browser: the file's bytes read as `llm-batch run` reads
 * them (CSV quoting, line numbers, JSONL, Parquet), one question per row with its `meta.id`, and
 * the rows the template cannot fill named by line, not sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { parquetWriteBuffer } from "hyparquet-writer"
import { questionsJsonl, readDataset, renderDataset } from "../../web/src/dataset.ts"

const bytes = (text: string) => new TextEncoder().encode(text).buffer

const csv = [
  "id,text,stars",
  "r1,\"Great, really\",5",
  "r2,\"Two lines:",
  "first, then second\",4",
  "",
  "r3,,3",
  "r4"
].join("\n")

describe("a dataset uploaded to the console", () => {
  it("renders one question per CSV row (quoted commas and line breaks), with meta.id from the id column", async () => {
    const dataset = await readDataset("csv", bytes(csv))
    expect(dataset.columns).toEqual(["id", "text", "stars"])
    const { questions, bad } = renderDataset(dataset, { template: "Review ({{stars}}★): {{text}}", idColumn: "id", fields: {} })
    expect(questions).toEqual([
      { index: 1, question: "Review (5★): Great, really", meta: { id: "r1" } },
      { index: 2, question: "Review (4★): Two lines:\nfirst, then second", meta: { id: "r2" } },
      // An empty CSV field is a value (empty text), as in `llm-batch run`.
      { index: 3, question: "Review (3★): ", meta: { id: "r3" } }
    ])
    // The short row starts on line 7: the quoted line break and the empty line are counted.
    expect(bad).toEqual(["line 7: no value for columns 'stars', 'text'"])
    expect(questionsJsonl(questions).split("\n").map((line) => JSON.parse(line))).toEqual(questions)
  })

  it("numbers JSONL rows by line, names a line that is not an object, and uses the row number without an id column", async () => {
    const dataset = await readDataset("jsonl", bytes('{"text": "a"}\n\n[1]\n{"text": null}\n{"text": "b", "n": 2}\n'))
    expect(dataset.columns).toEqual(["text", "n"])
    const { questions, bad } = renderDataset(dataset, { template: "Say {{text}}", idColumn: undefined, fields: {} })
    expect(questions).toEqual([
      { index: 1, question: "Say a", meta: { id: 1 } },
      { index: 4, question: "Say b", meta: { id: 4 } }
    ])
    expect(bad).toEqual(["line 3: not a JSON object", "line 4: no value for column 'text'"])
  })

  it("reads Parquet from its bytes and names a row by its number", async () => {
    const file = parquetWriteBuffer({
      columnData: [
        { name: "sku", data: ["a-1", null, "c-3"], type: "STRING" },
        { name: "title", data: ["Red mug", "Blue cup", "Tea pot"], type: "STRING" }
      ]
    })
    const dataset = await readDataset("parquet", file)
    const { questions, bad } = renderDataset(dataset, { template: "Category of {{title}}?", idColumn: "sku", fields: {} })
    expect(questions.map((question) => [question.question, question.meta.id])).toEqual([
      ["Category of Red mug?", "a-1"],
      ["Category of Tea pot?", "c-3"]
    ])
    expect(bad).toEqual(["row 2: no value for column 'sku'"])
  })
})
