/** A Messages API answer body as a `Completion`: only the fields we read, checked. */
import { Schema } from "effect"
import { decodeAnswer, FinishReason, NonEmpty } from "../decodeAnswer.ts"
import type { Completion } from "../types.ts"

/** A text block, or a block we skip (thinking, tool use): no other block type has a `text` field. */
const Block = Schema.Struct({ type: Schema.String, text: Schema.optionalKey(Schema.String) }).check(
  Schema.makeFilter((block) =>
    block.type !== "text" || block.text !== undefined || { path: ["text"], issue: "a text block needs its text" }
  )
)

const Message = Schema.Struct({
  content: NonEmpty(Block),
  stop_reason: FinishReason,
  usage: Schema.optionalKey(
    Schema.NullOr(Schema.Struct({ input_tokens: Schema.Natural, output_tokens: Schema.Natural }))
  )
})

export const decodeMessage = decodeAnswer(Message, (message): Completion => ({
  text: message.content.flatMap((block) => block.type === "text" && block.text !== undefined ? [block.text] : [])
    .join(""),
  usage: message.usage ? { prompt_tokens: message.usage.input_tokens, completion_tokens: message.usage.output_tokens } : null,
  finishReason: message.stop_reason ?? null,
  confidence: null
}))
