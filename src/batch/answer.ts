/** Asks the model one question and turns its completion into a result value. */
import { Effect } from "effect"
import type { Json } from "effect/Schema"
import type { Usage } from "../domain/Batch.ts"
import type { LlmError } from "../domain/Errors.ts"
import { LlmClient } from "../llm/LlmClient.ts"
import type { CompletionRequest } from "../llm/types.ts"

export interface Answer {
  readonly result: Json
  readonly confidence: number | null
  readonly retryCount: number
  readonly attempts: number
  readonly usage: Usage | null
}

export const answerQuestion = Effect.fnUntraced(function*(
  request: CompletionRequest
): Effect.fn.Return<Answer, LlmError, LlmClient> {
  const llm = yield* LlmClient
  const { completion, attempts } = yield* llm.complete(request)
  return {
    result: completion.text,
    confidence: completion.confidence,
    retryCount: 0,
    attempts,
    usage: completion.usage
  }
})
