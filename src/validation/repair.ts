/**
 * The schema repair loop: ask, check the answer, and on a decode failure show the model its own
 * answer with the readable error and ask for only the corrected JSON, up to `maxRepairs` times.
 * It only sees answers: transport failures are retried inside `ask` (the inner Schedule) and end
 * the loop if they persist, so they never appear in a repair prompt.
 *
 * Each repair sends the original messages, the last invalid answer and its correction only, not
 * every earlier attempt: a conversation that grew by two messages a repair made each call resend
 * all the attempts before it (the tokens of n repairs grew as n²) and told the model nothing its
 * last answer and error do not. So every repair's request is the size of the first plus one answer
 * (capped by max_tokens and MAX_UPSTREAM_RESPONSE_BYTES) and one error (capped below).
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
    /** Why the next repair was not sent though repairs were left (the batch's budget), if so. */
    readonly stopped?: string
  }

/** The most characters of a decode error a repair prompt quotes (it may quote the answer's values). */
export const maxRepairErrorChars = 2_000

/**
 * The user message of a repair: what is wrong (path and expectation) and what to send back. It
 * says which repair it is: the same wrong answer twice would otherwise make the same request twice,
 * and the cache would answer the second with the first's answer.
 */
export const repairPrompt = (error: string, repair: number): string =>
  `Your answer does not match the required format: ${
    error.length > maxRepairErrorChars ? `${error.slice(0, maxRepairErrorChars)}…` : error
  }.\n` +
  `Answer again with only the corrected JSON: no explanation, no code fence. (Correction ${repair}.)`

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

/** `mayRepair`: asked before each repair; a reason stops the loop there (the batch's budget is spent). */
export const repairLoop = Effect.fnUntraced(function*<E, R>(
  messages: ReadonlyArray<ChatMessage>,
  check: AnswerCheck["check"],
  maxRepairs: number,
  ask: (messages: ReadonlyArray<ChatMessage>) => Effect.Effect<Completion, E, R>,
  mayRepair: () => string | undefined = () => undefined
): Effect.fn.Return<RepairOutcome, E, R> {
  let conversation = messages
  for (let repairs = 0;; repairs++) {
    const completion = yield* ask(conversation)
    const checked = check(completion.text)
    if (Result.isSuccess(checked)) return { _tag: "Valid", value: checked.success, completion, repairs }
    const stopped = repairs >= maxRepairs ? undefined : mayRepair()
    if (repairs >= maxRepairs || stopped !== undefined) {
      return {
        _tag: "Invalid",
        error: checked.failure,
        lastResponse: completion.text,
        finishReason: completion.finishReason,
        repairs,
        ...(stopped === undefined ? {} : { stopped })
      }
    }
    conversation = [
      ...messages,
      { role: "assistant", content: completion.text },
      { role: "user", content: repairPrompt(checked.failure, repairs + 1) }
    ]
  }
})
