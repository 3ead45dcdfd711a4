/**
 * The schema repair loop: ask, check the answer, and on a decode failure show the model its own
 * answer with the readable error and ask for only the corrected JSON, up to `maxRepairs` times.
 * It only sees answers: transport failures are retried inside `ask` (the inner Schedule) and end
 * the loop if they persist, so they never appear in a repair prompt.
 */
import { Effect, Result } from "effect"
import type { Json } from "effect/Schema"
import type { ChatMessage, Completion } from "../llm/types.ts"
import type { AnswerCheck } from "./strategies.ts"

export type RepairOutcome =
  | { readonly _tag: "Valid"; readonly value: Json; readonly completion: Completion; readonly repairs: number }
  | {
    readonly _tag: "Invalid"
    readonly error: string
    readonly lastResponse: string
    readonly finishReason: string | null
    readonly repairs: number
  }

/** The user message of a repair: what is wrong (path and expectation) and what to send back. */
export const repairPrompt = (error: string): string =>
  `Your answer does not match the required format: ${error}.\n` +
  "Answer again with only the corrected JSON: no explanation, no code fence."

/** Puts the strategy's instructions in the system prompt, after the user's own system text. */
export const withInstructions = (
  messages: ReadonlyArray<ChatMessage>,
  instructions: string | undefined
): ReadonlyArray<ChatMessage> => {
  if (instructions === undefined) return messages
  const [first, ...rest] = messages
  return first?.role === "system"
    ? [{ role: "system", content: `${first.content}\n\n${instructions}` }, ...rest]
    : [{ role: "system", content: instructions }, ...messages]
}

export const repairLoop = Effect.fnUntraced(function*<E, R>(
  messages: ReadonlyArray<ChatMessage>,
  check: AnswerCheck["check"],
  maxRepairs: number,
  ask: (messages: ReadonlyArray<ChatMessage>) => Effect.Effect<Completion, E, R>
): Effect.fn.Return<RepairOutcome, E, R> {
  let conversation = messages
  for (let repairs = 0;; repairs++) {
    const completion = yield* ask(conversation)
    const checked = check(completion.text)
    if (Result.isSuccess(checked)) return { _tag: "Valid", value: checked.success, completion, repairs }
    if (repairs >= maxRepairs) {
      return {
        _tag: "Invalid",
        error: checked.failure,
        lastResponse: completion.text,
        finishReason: completion.finishReason,
        repairs
      }
    }
    conversation = [
      ...conversation,
      { role: "assistant", content: completion.text },
      { role: "user", content: repairPrompt(checked.failure) }
    ]
  }
})
