/**
 * The provider table as plain data: which protocol, default base URL and variables serve each
 * provider, and how a model name is resolved to a provider (the LiteLLM convention). Config reads
 * its variables from here and the LLM client routes by it, so it sits below both.
 */
import { UnknownProviderError } from "./Errors.ts"

export type Protocol = "openai" | "anthropic"

/** What a provider's API accepts beyond the protocol's core, as data: the adapters read it, never a provider's name. */
export interface Capabilities {
  /** Native structured output (`response_format` / `output_config`); the answer is validated anyway. */
  readonly structuredOutput: boolean
  /** `logprobs: true` on chat completions (the answer's `confidence`). */
  readonly logprobs: boolean
  /** `temperature` and `top_p` (Anthropic's current Messages API has neither). */
  readonly sampling: boolean
  /** A provider batch API in the protocol's shape (OpenAI's Batch API, Anthropic's Message Batches): the batch lane. */
  readonly batch: boolean
}

export interface ProviderSpec {
  readonly protocol: Protocol
  readonly defaultBaseUrl: string
  /** Key variables, first one preferred; empty for keyless providers (Ollama). */
  readonly keyVariables: ReadonlyArray<string>
  /** Variables that override the base URL, first one preferred. */
  readonly baseUrlVariables: ReadonlyArray<string>
  readonly capabilities: Capabilities
}

/** Most OpenAI-compatible servers take `response_format` (a refusal is retried without it) but not logprobs. */
const openAiCompatibleCapabilities: Capabilities = { structuredOutput: true, logprobs: false, sampling: true, batch: false }

const openAiCompatible = (
  defaultBaseUrl: string,
  keyVariables: ReadonlyArray<string>,
  baseUrlVariables: ReadonlyArray<string>,
  capabilities: Capabilities = openAiCompatibleCapabilities
): ProviderSpec => ({ protocol: "openai", defaultBaseUrl, keyVariables, baseUrlVariables, capabilities })

export const providers = {
  openai: openAiCompatible("https://api.openai.com/v1", ["OPENAI_API_KEY"], ["OPENAI_BASE_URL"], {
    ...openAiCompatibleCapabilities,
    logprobs: true,
    batch: true
  }),
  anthropic: {
    protocol: "anthropic",
    defaultBaseUrl: "https://api.anthropic.com",
    keyVariables: ["ANTHROPIC_API_KEY"],
    baseUrlVariables: ["ANTHROPIC_BASE_URL"],
    capabilities: { structuredOutput: true, logprobs: false, sampling: false, batch: true }
  },
  gemini: openAiCompatible(
    "https://generativelanguage.googleapis.com/v1beta/openai",
    ["GEMINI_API_KEY"],
    ["GEMINI_API_BASE"]
  ),
  ollama: openAiCompatible("http://localhost:11434", [], ["OLLAMA_API_BASE"]),
  perplexity: openAiCompatible(
    "https://api.perplexity.ai",
    ["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"],
    ["PERPLEXITYAI_API_BASE", "PERPLEXITY_API_BASE"]
  ),
  groq: openAiCompatible("https://api.groq.com/openai/v1", ["GROQ_API_KEY"], ["GROQ_API_BASE"]),
  mistral: openAiCompatible("https://api.mistral.ai/v1", ["MISTRAL_API_KEY"], ["MISTRAL_API_BASE"]),
  deepseek: openAiCompatible("https://api.deepseek.com/v1", ["DEEPSEEK_API_KEY"], ["DEEPSEEK_API_BASE"]),
  openrouter: openAiCompatible("https://openrouter.ai/api/v1", ["OPENROUTER_API_KEY"], ["OPENROUTER_API_BASE"]),
  together_ai: openAiCompatible(
    "https://api.together.xyz/v1",
    ["TOGETHERAI_API_KEY", "TOGETHER_AI_API_KEY"],
    ["TOGETHERAI_API_BASE", "TOGETHER_AI_API_BASE"]
  ),
  xai: openAiCompatible("https://api.x.ai/v1", ["XAI_API_KEY"], ["XAI_API_BASE"]),
  fireworks_ai: openAiCompatible(
    "https://api.fireworks.ai/inference/v1",
    ["FIREWORKS_AI_API_KEY"],
    ["FIREWORKS_AI_API_BASE"]
  )
} as const satisfies Record<string, ProviderSpec>

export type ProviderName = keyof typeof providers
export const providerNames = Object.keys(providers) as ReadonlyArray<ProviderName>

export const isProviderName = (name: string): name is ProviderName => Object.hasOwn(providers, name)

export interface ResolvedModel {
  readonly provider: ProviderName
  readonly name: string
}

/** `provider/model` as the user sees it in results. */
export const modelId = (model: ResolvedModel): string => `${model.provider}/${model.name}`

const bareNameRules: ReadonlyArray<readonly [RegExp, ProviderName]> = [
  [/^(gpt-|chatgpt-|o1|o3|o4)/, "openai"],
  [/^claude-/, "anthropic"]
]

export const resolveModel = (model: string): ResolvedModel | UnknownProviderError => {
  const slash = model.indexOf("/")
  if (slash > 0) {
    const prefix = model.slice(0, slash)
    const name = model.slice(slash + 1)
    if (isProviderName(prefix) && name.length > 0) return { provider: prefix, name }
  }
  for (const [pattern, provider] of bareNameRules) {
    if (pattern.test(model)) return { provider, name: model }
  }
  return new UnknownProviderError({ model, known: providerNames })
}
