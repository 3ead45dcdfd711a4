/**
 * Every wire protocol's adapter, by protocol: the one table the client, the engine and the
 * provider batch lane look a provider's protocol up in (a provider's protocol and capabilities
 * are data in src/domain/providers.ts).
 */
import type { Protocol, ProviderName } from "../domain/providers.ts"
import { providers } from "../domain/providers.ts"
import type { ProviderAdapter } from "./adapter.ts"
import { anthropic } from "./anthropic/adapter.ts"
import { openAiCompatible } from "./openai-compatible/adapter.ts"

export const adapters: { readonly [P in Protocol]: ProviderAdapter } = { openai: openAiCompatible, anthropic }

export const adapterOf = (provider: ProviderName): ProviderAdapter => adapters[providers[provider].protocol]
