/**
 * A `CompletionRequest` as a Messages API request. The current Messages API has no sampling
 * parameters (the provider's capabilities say so), so none are sent.
 */
import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema"
import type { JSONOutputFormat, MessageCreateParamsNonStreaming } from "@anthropic-ai/sdk/resources/messages/messages"
import { providers } from "../../domain/providers.ts"
import { memoizeFormat } from "../memoizeFormat.ts"
import type { CompletionRequest } from "../types.ts"

/**
 * `output_config.format`, for object roots. The SDK's transform moves constraints Anthropic does
 * not enforce (bounds, lengths) into descriptions; our own validation still checks them, and the
 * repair loop fixes what slips through.
 */
const anthropicOutputFormat = memoizeFormat((format): JSONOutputFormat | undefined => {
  if (format.schema["type"] !== "object") return undefined
  try {
    return { type: "json_schema", schema: transformJSONSchema(format.schema) }
  } catch {
    return undefined
  }
})

export const encodeMessageRequest = (request: CompletionRequest): MessageCreateParamsNonStreaming => {
  const { capabilities } = providers[request.model.provider]
  const system = request.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n")
  const messages = request.messages.flatMap((m) => m.role === "system" ? [] : [{ role: m.role, content: m.content }])
  const outputFormat = capabilities.structuredOutput && request.responseFormat !== undefined
    ? anthropicOutputFormat(request.responseFormat)
    : undefined
  return {
    model: request.model.name,
    max_tokens: request.maxTokens,
    messages,
    stream: false,
    ...(system === "" ? {} : { system }),
    ...(request.stop === undefined ? {} : { stop_sequences: [...request.stop] }),
    ...(outputFormat === undefined ? {} : { output_config: { format: outputFormat } })
  }
}
