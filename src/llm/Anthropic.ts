/**
 * One Messages API call through `@anthropic-ai/sdk`. The current Messages API has no sampling
 * parameters (temperature/top_p were deprecated and removed from the SDK), so they are not sent.
 */
import type Anthropic from "@anthropic-ai/sdk"
import { Effect } from "effect"
import type { UpstreamError } from "../domain/Errors.ts"
import { ClientPool } from "./clientPool.ts"
import { publicOnly } from "./addressGuard.ts"
import { makeSdkFetch, type SdkFetchOptions } from "./fetch.ts"
import { decodeAnthropicMessage } from "./responses.ts"
import { toUpstreamError } from "./sdkErrors.ts"
import { anthropicOutputFormat } from "./structuredOutput.ts"
import type { Completion, CompletionRequest, Target } from "./types.ts"

/**
 * The SDK is loaded on the first Anthropic call: a deployment that never makes one does not pay its
 * ~20 MB of memory and ~0.2 s of startup (docs/performance.md).
 */
let sdk: Promise<typeof Anthropic> | undefined
const loadSdk = () => (sdk ??= import("@anthropic-ai/sdk").then((module) => module.default))

export const makeAnthropic = (fetchOptions: SdkFetchOptions) => {
  const sdkFetch = makeSdkFetch(fetchOptions)
  const guardedFetch = makeSdkFetch({ ...fetchOptions, guard: publicOnly() })
  let pool: ClientPool<Anthropic> | undefined
  const clients = (Sdk: typeof Anthropic) =>
    new ClientPool(
      (target: Target) =>
        new Sdk({
          // Explicit nulls: the SDK would otherwise pick up ANTHROPIC_AUTH_TOKEN and friends from
          // the environment and send them where a keyless call was meant to go.
          apiKey: target.apiKey ?? null,
          authToken: null,
          ...(target.apiKey === undefined ? { defaultHeaders: { Authorization: null, "x-api-key": null } } : {}),
          baseURL: target.baseUrl,
          maxRetries: 0,
          timeout: target.timeoutMs,
          fetch: target.publicOnly ? guardedFetch : sdkFetch
        })
    )

  const call = (Sdk: typeof Anthropic, request: CompletionRequest, target: Target) => {
    const client = (pool ??= clients(Sdk)).get("anthropic", target)
    const system = request.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n")
    const messages = request.messages.flatMap((m) =>
      m.role === "system" ? [] : [{ role: m.role, content: m.content }]
    )
    const outputFormat = request.responseFormat && anthropicOutputFormat(request.responseFormat)
    return Effect.tryPromise({
      try: (signal) =>
        client.messages.create({
          model: request.model.name,
          max_tokens: request.maxTokens,
          messages,
          stream: false,
          ...(system === "" ? {} : { system }),
          ...(request.stop === undefined ? {} : { stop_sequences: [...request.stop] }),
          ...(outputFormat === undefined ? {} : { output_config: { format: outputFormat } })
        }, { signal }).withResponse(),
      catch: toUpstreamError("anthropic", Sdk, target)
    }).pipe(
      // The SDK's type is a promise, not a check: the body is decoded before anything reads it.
      Effect.flatMap(({ data, response }) => decodeAnthropicMessage("anthropic", response.status, data, target.trusted)),
      Effect.map((message): Completion => ({
        text: message.content.flatMap((block) =>
          block.type === "text" && block.text !== undefined ? [block.text] : []
        ).join(""),
        usage: message.usage
          ? { prompt_tokens: message.usage.input_tokens, completion_tokens: message.usage.output_tokens }
          : null,
        finishReason: message.stop_reason ?? null,
        confidence: null
      }))
    )
  }

  return (request: CompletionRequest, target: Target): Effect.Effect<Completion, UpstreamError> =>
    Effect.flatMap(Effect.promise(loadSdk), (Sdk) => call(Sdk, request, target))
}
