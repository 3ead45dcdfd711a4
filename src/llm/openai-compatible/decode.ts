/** A chat-completions answer body as a `Completion`: only the fields we read, checked. */
import { Schema } from "effect"
import { decodeAnswer, FinishReason, NonEmpty, OptionalUsage } from "../decodeAnswer.ts"
import { type Completion, confidenceFromLogprobs } from "../types.ts"

const Choice = Schema.Struct({
  // `null` when the model refused or called a tool: an empty answer, as the SDK types allow.
  message: Schema.Struct({ content: Schema.NullOr(Schema.String) }),
  finish_reason: FinishReason,
  logprobs: Schema.optionalKey(Schema.NullOr(Schema.Struct({
    content: Schema.optionalKey(Schema.NullOr(Schema.Array(Schema.Struct({ logprob: Schema.Finite }))))
  })))
})

const ChatCompletion = Schema.Struct({ choices: NonEmpty(Choice), usage: OptionalUsage })

export const decodeChatCompletion = decodeAnswer(ChatCompletion, (answer): Completion => {
  const [choice] = answer.choices
  // A log-probability is never positive; a provider's rounding can make it so.
  const logprobs = choice.logprobs?.content?.map((token) => Math.min(token.logprob, 0)) ?? []
  return {
    text: choice.message.content ?? "",
    usage: answer.usage ?? null,
    finishReason: choice.finish_reason ?? null,
    confidence: confidenceFromLogprobs(logprobs)
  }
})
