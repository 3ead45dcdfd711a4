/** One chat-completions call through the `openai` SDK: OpenAI and every OpenAI-compatible provider. */
import { Effect } from "effect"
import OpenAI from "openai"
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions"
import type { UpstreamError } from "../domain/Errors.ts"
import { providers } from "../domain/providers.ts"
import { ClientPool } from "./clientPool.ts"
import { publicOnly } from "./addressGuard.ts"
import { makeSdkFetch, type SdkFetchOptions } from "./fetch.ts"
import { isReasoningModel } from "./providers.ts"
import { decodeOpenAiCompletion } from "./responses.ts"
import { toUpstreamError } from "./sdkErrors.ts"
import { openAiResponseFormat } from "./structuredOutput.ts"
import { type Completion, type CompletionRequest, confidenceFromLogprobs, type Target } from "./types.ts"

/**
 * Keyless calls (Ollama, untrusted api_base) pass a placeholder so the SDK neither throws nor reads
 * OPENAI_API_KEY from the environment, and drop the Authorization header it would build from it.
 */
const noKey = "no-key"

export const makeOpenAiCompatible = (fetchOptions: SdkFetchOptions) => {
  const sdkFetch = makeSdkFetch(fetchOptions)
  const guardedFetch = makeSdkFetch({ ...fetchOptions, guard: publicOnly() })
  const pool = new ClientPool(
    (target: Target) =>
      new OpenAI({
        apiKey: target.apiKey ?? noKey,
        ...(target.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
        baseURL: target.baseUrl,
        maxRetries: 0,
        timeout: target.timeoutMs,
        fetch: target.publicOnly ? guardedFetch : sdkFetch
      })
  )

  return (request: CompletionRequest, target: Target): Effect.Effect<Completion, UpstreamError> => {
    const { provider, name } = request.model
    const client = pool.get(provider, target)
    const reasoning = provider === "openai" && isReasoningModel(name)
    const responseFormat = request.responseFormat && openAiResponseFormat(request.responseFormat)
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: name,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      // OpenAI's reasoning models reject sampling parameters and the old max_tokens name.
      ...(reasoning
        ? { max_completion_tokens: request.maxTokens }
        : { temperature: request.temperature, max_tokens: request.maxTokens }),
      ...(request.topP === undefined || reasoning ? {} : { top_p: request.topP }),
      ...(request.stop === undefined ? {} : { stop: [...request.stop] }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(providers[provider].logprobs && !reasoning && request.logprobs !== false ? { logprobs: true } : {}),
      ...(responseFormat === undefined ? {} : { response_format: responseFormat })
    }
    return Effect.tryPromise({
      try: (signal) => client.chat.completions.create(body, { signal }).withResponse(),
      catch: toUpstreamError(provider, OpenAI, target)
    }).pipe(
      // The SDK's type is a promise, not a check: the body is decoded before anything reads it.
      Effect.flatMap(({ data, response }) => decodeOpenAiCompletion(provider, response.status, data, target.trusted)),
      Effect.map((answer): Completion => {
        const [choice] = answer.choices
        // A log-probability is never positive; a provider's rounding can make it so.
        const logprobs = choice.logprobs?.content?.map((token) => Math.min(token.logprob, 0)) ?? []
        return {
          text: choice.message.content ?? "",
          usage: answer.usage ?? null,
          finishReason: choice.finish_reason ?? null,
          confidence: confidenceFromLogprobs(logprobs)
        }
      })
    )
  }
}

