/** How a call reaches its provider: the base URL it goes to, and the quirks of some models. */
import type { AppConfigShape } from "../config/AppConfig.ts"
import { type ProviderName, providers } from "../domain/providers.ts"
import type { CompletionRequest } from "./types.ts"

/** The chat-completions base URL for a configured provider base (Ollama serves it under /v1). */
const openAiBaseUrl = (provider: ProviderName, baseUrl: string): string =>
  provider === "ollama" && !/\/v1\/?$/.test(baseUrl) ? `${baseUrl.replace(/\/$/, "")}/v1` : baseUrl

/**
 * The base URL a call goes to: the question's `api_base` or the provider's configured one, with
 * the protocol's path, without trailing slashes. The one place it is computed: the client calls
 * it and the cache keys on it, so two spellings of one server share answers and two servers never do.
 */
export const baseUrlFor = (config: AppConfigShape, request: CompletionRequest): string => {
  const { provider } = request.model
  const base = request.apiBase ?? config.providers[provider].baseUrl
  const url = providers[provider].protocol === "openai" ? openAiBaseUrl(provider, base) : base
  return url.replace(/\/+$/, "")
}

/** OpenAI's reasoning models take no temperature/top_p and want max_completion_tokens. */
export const isReasoningModel = (name: string): boolean => /^(o1|o3|o4|gpt-5)/.test(name)
