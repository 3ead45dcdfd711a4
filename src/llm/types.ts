/** Provider-neutral request and answer shapes: what the engine asks for and what the cache stores. */
import type { Usage } from "../domain/Batch.ts"
import type { ResolvedModel } from "../domain/providers.ts"

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
  /**
   * `false` bypasses the cache for this call, read and write (default: use it). Not part of the
   * cache key; every other field is (see src/cache/key.ts).
   */
  readonly cache?: boolean | undefined
  /** Ask for JSON natively where the provider can (each protocol's encode.ts); the answer is checked anyway. */
  readonly responseFormat?: ResponseFormat | undefined
  /**
   * `false`: do not ask for token log-probabilities (LLM_LOGPROBS=false, or the provider refused
   * them). Left out, they are asked for where the provider takes them (OpenAI), and the cache key
   * is what it was before this field existed.
   */
  readonly logprobs?: false | undefined
}

/** The JSON Schema a structured answer must match, as sent to providers that enforce it themselves. */
export interface ResponseFormat {
  /** Letters, digits, `_` and `-` (OpenAI's rule for `json_schema.name`). */
  readonly name: string
  readonly schema: Readonly<Record<string, unknown>>
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
  /** Upstream calls made, transport retries included; 0 when the cache answered. */
  readonly attempts: number
  /** Answered by the cache (stored, or shared with an identical call in flight). */
  readonly cached?: boolean | undefined
  /** Answered as a line of a provider batch (billed at the batch rate). */
  readonly lane?: "batch" | undefined
}

/** Where one call goes: resolved once per call from config and the request. */
export interface Target {
  readonly baseUrl: string
  readonly apiKey: string | undefined
  readonly timeoutMs: number
  /**
   * The server vouches for this base (no per-question `api_base`, the provider's own origin, or an
   * ALLOWED_API_BASES origin): it gets the key, and its error bodies are shown to the caller.
   */
  readonly trusted: boolean
  /** Connect to public addresses only: a caller's `api_base` outside ALLOWED_API_BASES (addressGuard.ts). */
  readonly publicOnly: boolean
  /** What set `baseUrl` (`OPENAI_BASE_URL`, `the question's api_base`, …), for error messages. */
  readonly baseSetting: string
}

export const confidenceFromLogprobs = (logprobs: ReadonlyArray<number>): number | null =>
  logprobs.length === 0 ? null : Math.exp(logprobs.reduce((sum, lp) => sum + lp, 0) / logprobs.length)
