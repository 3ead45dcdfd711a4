/** Provider-neutral request and answer shapes: what the engine asks for and what the cache stores. */
import type { Usage } from "../domain/Batch.ts"
import type { ResolvedModel } from "./providers.ts"

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

export interface CompletionRequest {
  readonly model: ResolvedModel
  readonly messages: ReadonlyArray<ChatMessage>
  readonly temperature: number
  readonly maxTokens: number
  readonly topP?: number | undefined
  readonly stop?: ReadonlyArray<string> | undefined
  readonly seed?: number | undefined
  /** Per-question base URL override. */
  readonly apiBase?: string | undefined
}

/** A normalized completion: never an SDK object, so it can be cached and compared. */
export interface Completion {
  readonly text: string
  readonly usage: Usage | null
  readonly finishReason: string | null
  /** exp(mean token log-probability), when the provider returned log-probabilities. */
  readonly confidence: number | null
}

export interface CallResult {
  readonly completion: Completion
  /** Upstream calls made, transport retries included. */
  readonly attempts: number
}

/** Where one call goes: resolved once per call from config and the request. */
export interface Target {
  readonly baseUrl: string
  readonly apiKey: string | undefined
  readonly timeoutMs: number
}

export const confidenceFromLogprobs = (logprobs: ReadonlyArray<number>): number | null =>
  logprobs.length === 0 ? null : Math.exp(logprobs.reduce((sum, lp) => sum + lp, 0) / logprobs.length)
