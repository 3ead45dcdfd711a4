/**
 * Which models a question may use, in order, and when the next one is tried: after the current
 * model's transport retries ran out on a transient failure (rate limited, overloaded, server
 * error, timeout, connection failure), or at once when the prompt exceeds its context window or
 * the account is out of credit. Any other failure (400, 401,
 * 404, a missing key, an answer that never validates) is the question's own: another model would
 * not fix it.
 */
import type { QuestionItem } from "../domain/Batch.ts"
import { type LlmError, UnknownProviderError } from "../domain/Errors.ts"
import { modelId, resolveModel } from "../domain/providers.ts"
import { isTransient } from "../llm/retry.ts"

/**
 * The question's model then its fallbacks: its own `fallbacks` when given (`[]`: none), else the
 * server's FALLBACKS for its model. A model listed twice is tried once.
 */
export const modelChain = (
  item: Pick<QuestionItem, "model" | "fallbacks">,
  defaultModel: string,
  serverFallbacks: ReadonlyMap<string, ReadonlyArray<string>>
): ReadonlyArray<string> => {
  const first = item.model ?? defaultModel
  const resolved = resolveModel(first)
  const id = resolved instanceof UnknownProviderError ? first : modelId(resolved)
  const rest = item.fallbacks ?? serverFallbacks.get(id) ?? []
  const seen = new Set([id])
  const chain = [first]
  for (const model of rest) {
    const next = resolveModel(model)
    const nextId = next instanceof UnknownProviderError ? model : modelId(next)
    if (!seen.has(nextId)) chain.push(model)
    seen.add(nextId)
  }
  return chain
}

/**
 * Whether a failed model should give way to the next one: the transient failures, a prompt over
 * its context window, and an account out of credit (another provider's may not be).
 */
export const fallsBack = (error: LlmError): boolean =>
  isTransient(error) ||
  (error._tag === "UpstreamError" && (error.reason === "context_length" || error.reason === "quota_exceeded"))
