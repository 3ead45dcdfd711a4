/** A `CompletionRequest` as a chat-completions request body: what the provider's capabilities allow. */
import type { JSONSchema } from "openai/lib/jsonschema"
import { toStrictJsonSchema } from "openai/lib/transform"
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions"
import type { ResponseFormatJSONObject, ResponseFormatJSONSchema } from "openai/resources/shared"
import { providers } from "../../domain/providers.ts"
import { memoizeFormat } from "../memoizeFormat.ts"
import type { CompletionRequest, ResponseFormat } from "../types.ts"

/** OpenAI's reasoning models take no temperature/top_p and want max_completion_tokens. */
const isReasoningModel = (name: string): boolean => /^(o1|o3|o4|gpt-5)/.test(name)

/**
 * `response_format`: a strict `json_schema` when the schema fits strict mode (the SDK's own
 * normalizer decides: every property required, objects closed, no unsupported keyword), else
 * `json_object`, which still guarantees an object; nothing for non-object roots.
 */
const openAiResponseFormat = memoizeFormat(
  (format): ResponseFormatJSONSchema | ResponseFormatJSONObject | undefined => {
    // A plain-JSON copy typed for the SDK helper (which copies again; it never mutates its input).
    const schema: JSONSchema = JSON.parse(JSON.stringify(format.schema))
    try {
      return {
        type: "json_schema",
        json_schema: { name: format.name, schema: { ...toStrictJsonSchema(schema) }, strict: true }
      }
    } catch {
      return format.schema["type"] === "object" ? { type: "json_object" } : undefined
    }
  }
)

const responseFormatOf = (format: ResponseFormat | undefined) =>
  format === undefined ? undefined : openAiResponseFormat(format)

export const encodeChatRequest = (request: CompletionRequest): ChatCompletionCreateParamsNonStreaming => {
  const { provider, name } = request.model
  const { capabilities } = providers[provider]
  // OpenAI's reasoning models reject sampling parameters and the old max_tokens name.
  const reasoning = provider === "openai" && isReasoningModel(name)
  const sampling = capabilities.sampling && !reasoning
  const responseFormat = capabilities.structuredOutput ? responseFormatOf(request.responseFormat) : undefined
  return {
    model: name,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(sampling
      ? { temperature: request.temperature, max_tokens: request.maxTokens }
      : { max_completion_tokens: request.maxTokens }),
    ...(request.topP === undefined || !sampling ? {} : { top_p: request.topP }),
    ...(request.stop === undefined ? {} : { stop: [...request.stop] }),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(capabilities.logprobs && !reasoning && request.logprobs !== false ? { logprobs: true } : {}),
    ...(responseFormat === undefined ? {} : { response_format: responseFormat })
  }
}
