/** One Messages API call through `@anthropic-ai/sdk`. */
import type Anthropic from "@anthropic-ai/sdk"
import { Effect } from "effect"
import type { Transport } from "../adapter.ts"
import { publicOnly } from "../addressGuard.ts"
import { ClientPool } from "../clientPool.ts"
import { toUpstreamError } from "../failures.ts"
import { makeSdkFetch, type SdkFetchOptions } from "../fetch.ts"
import type { Target } from "../types.ts"
import { classify } from "./classify.ts"
import { decodeMessage } from "./decode.ts"
import { encodeMessageRequest } from "./encode.ts"

/**
 * The SDK is loaded on the first Anthropic call: a deployment that never makes one does not pay its
 * ~20 MB of memory and ~0.2 s of startup (docs/performance.md).
 */
let sdk: Promise<typeof Anthropic> | undefined
export const loadAnthropicSdk = () => (sdk ??= import("@anthropic-ai/sdk").then((module) => module.default))

/** The SDK clients, one per target (clientPool.ts), built once the SDK has loaded. */
export const makeAnthropicClients = (fetchOptions: SdkFetchOptions) => {
  const sdkFetch = makeSdkFetch(fetchOptions)
  const guardedFetch = makeSdkFetch({ ...fetchOptions, guard: publicOnly() })
  let pool: ClientPool<Anthropic> | undefined
  return (Sdk: typeof Anthropic) =>
    pool ??= new ClientPool(
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
}

export const makeAnthropicTransport = (fetchOptions: SdkFetchOptions): Transport => {
  const clients = makeAnthropicClients(fetchOptions)
  return (request, target) =>
    Effect.flatMap(Effect.promise(loadAnthropicSdk), (Sdk) => {
      const client = clients(Sdk).get("anthropic", target)
      const body = encodeMessageRequest(request)
      return Effect.tryPromise({
        try: (signal) => client.messages.create(body, { signal }).withResponse(),
        catch: toUpstreamError("anthropic", Sdk, classify, target)
      }).pipe(
        // The SDK's type is a promise, not a check: the body is decoded before anything reads it.
        Effect.flatMap(({ data, response }) => decodeMessage("anthropic", response.status, data, target.trusted))
      )
    })
}
