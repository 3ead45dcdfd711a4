/** One chat-completions call through the `openai` SDK: OpenAI and every OpenAI-compatible provider. */
import { Effect } from "effect"
import OpenAI from "openai"
import type { Transport } from "../adapter.ts"
import { sdkClients } from "../clientPool.ts"
import { toUpstreamError } from "../failures.ts"
import type { SdkFetchOptions } from "../fetch.ts"
import { classify } from "./classify.ts"
import { decodeChatCompletion } from "./decode.ts"
import { encodeChatRequest } from "./encode.ts"

/**
 * Keyless calls (Ollama, untrusted api_base) pass a placeholder so the SDK neither throws nor reads
 * OPENAI_API_KEY from the environment, and drop the Authorization header it would build from it.
 */
const noKey = "no-key"

/** The SDK clients, one per target (clientPool.ts); the batch lane's calls share them. */
export const makeOpenAiClients = (fetchOptions: SdkFetchOptions) =>
  sdkClients(fetchOptions, (target, options) =>
    new OpenAI({
      ...options,
      apiKey: target.apiKey ?? noKey,
      ...(target.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {})
    }))

export const makeOpenAiTransport = (fetchOptions: SdkFetchOptions): Transport => {
  const pool = makeOpenAiClients(fetchOptions)
  return (request, target) => {
    const { provider } = request.model
    const client = pool.get(provider, target)
    const body = encodeChatRequest(request)
    return Effect.tryPromise({
      try: (signal) => client.chat.completions.create(body, { signal }).withResponse(),
      catch: toUpstreamError(provider, OpenAI, classify, target)
    }).pipe(
      // The SDK's type is a promise, not a check: the body is decoded before anything reads it.
      Effect.flatMap(({ data, response }) => decodeChatCompletion(provider, response.status, data, target.trusted))
    )
  }
}
