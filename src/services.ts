/**
 * The engine's services as one layer: configuration, the answer cache and the provider client.
 * Every surface runs over it; it loads no surface, so `llm-batch mcp` and `llm-batch ask` start
 * without the HTTP server's modules.
 */
import { Effect, Layer, References } from "effect"
import { Cache } from "./cache/Cache.ts"
import * as CachedLlmClient from "./cache/CachedLlmClient.ts"
import { AppConfig } from "./config/AppConfig.ts"
import { LlmClient } from "./llm/LlmClient.ts"

/** LOG_LEVEL applies to everything the server runs. */
export const LogLevelLayer = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  return Layer.succeed(References.MinimumLogLevel, config.logLevel)
}))

/** The cache wraps the provider client, so every caller of `LlmClient` goes through it. */
const CachedLlmClientLayer = CachedLlmClient.layer.pipe(Layer.provide(LlmClient.layer))

export const ServicesLayer = CachedLlmClientLayer.pipe(
  Layer.provideMerge(Cache.layer),
  // The cache logs which store is active (and Redis outages) from its layer: LOG_LEVEL applies.
  Layer.provide(LogLevelLayer),
  Layer.provideMerge(AppConfig.layer)
)
