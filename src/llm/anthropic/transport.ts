/** One Messages API call through `@anthropic-ai/sdk`. */
import type Anthropic from "@anthropic-ai/sdk"
import { Effect } from "effect"
import type { Transport } from "../adapter.ts"
import { type ClientPool, sdkClients } from "../clientPool.ts"
import { toUpstreamError } from "../failures.ts"
import type { SdkFetchOptions } from "../fetch.ts"
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
  let pool: ClientPool<Anthropic> | undefined
  return (Sdk: typeof Anthropic) =>
    pool ??= sdkClients(fetchOptions, (target, options) =>
      new Sdk({
        ...options,
        // Explicit nulls: the SDK would otherwise pick up ANTHROPIC_AUTH_TOKEN and friends from
        // the environment and send them where a keyless call was meant to go.
        apiKey: target.apiKey ?? null,
        authToken: null,
        ...(target.apiKey === undefined ? { defaultHeaders: { Authorization: null, "x-api-key": null } } : {})
      }))
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
