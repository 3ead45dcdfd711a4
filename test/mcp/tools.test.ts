import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { QuestionItem } from "../../src/domain/Batch.ts"
import { decodeBatchRequest } from "../../src/domain/decode.ts"
import { AskTool, BatchAskTool } from "../../src/mcp/tools.ts"

/** The help line of one field: "- `name`: …". */
const fieldLine = (description: string, name: string) =>
  description.split("\n").find((line) => line.startsWith(`- \`${name}\``))

const Bounded = Schema.Struct({
  description: Schema.optionalKey(Schema.String),
  minimum: Schema.optionalKey(Schema.Number),
  maximum: Schema.optionalKey(Schema.Number)
})
/** What QuestionItem's JSON Schema says of each field (an optional field's value is in `anyOf`). */
const questionProperties = Schema.decodeUnknownSync(Schema.Struct({
  properties: Schema.Record(Schema.String, Schema.Struct({ ...Bounded.fields, anyOf: Schema.optionalKey(Schema.Array(Bounded)) }))
}))(Schema.toJsonSchemaDocument(QuestionItem).schema).properties

const shown = (value: unknown) => typeof value === "string" ? value : JSON.stringify(value)

describe("MCP tool descriptions", () => {
  it.effect("state each default the service applies, as the schema gives it", () =>
    Effect.gen(function*() {
      // The defaults as decoding applies them to a question that gives only what it must.
      const { questions } = yield* decodeBatchRequest({ questions: [{ index: 1, question: "q" }] })
      const defaults = Object.entries(questions[0]!).filter(([name]) => name !== "index" && name !== "question")
      expect(defaults.map(([name]) => name).sort()).toEqual(["cache", "max_tokens", "method", "temperature", "validation_strategy"])
      for (const tool of [BatchAskTool, AskTool]) {
        for (const [name, value] of defaults) {
          expect(fieldLine(tool.description!, name), `${tool.name}: ${name}`).toContain(`default \`${shown(value)}\``)
        }
      }
    }))

  it("give each field the description and bounds its schema states", () => {
    for (const [name, property] of Object.entries(questionProperties)) {
      const value = property.anyOf?.find((member) => member.description !== undefined) ?? property.anyOf?.[0] ?? property
      const description = property.description ?? value.description
      expect(description, name).toBeDefined()
      const bounded = value.minimum !== undefined && value.maximum !== undefined && value.maximum < Number.MAX_SAFE_INTEGER
      for (const tool of name === "index" ? [BatchAskTool] : [BatchAskTool, AskTool]) {
        expect(fieldLine(tool.description!, name), `${tool.name}: ${name}`).toContain(description)
        if (bounded) expect(fieldLine(tool.description!, name)).toContain(`${value.minimum}–${value.maximum}`)
      }
    }
    // Both ends of temperature and top_p are checked, so both are stated.
    expect(fieldLine(BatchAskTool.description!, "temperature")).toMatch(/0–2/)
  })
})
