/** Where a call to a provider goes: the base URL, as the client and the cache key compute it. */
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
export const baseUrlFor = (config: AppConfigShape, request: Pick<CompletionRequest, "model" | "apiBase">): string => {
  const { provider } = request.model
  const base = request.apiBase ?? config.providers[provider].baseUrl
  const url = providers[provider].protocol === "openai" ? openAiBaseUrl(provider, base) : base
  return url.replace(/\/+$/, "")
}
