/** The whole service as one layer: the HTTP server over the engine's services. */
import { Effect, Layer, References } from "effect"
import { Cache } from "./cache/Cache.ts"
import * as CachedLlmClient from "./cache/CachedLlmClient.ts"
import { AppConfig } from "./config/AppConfig.ts"
import { HttpServerLayer } from "./http/server.ts"
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

export const AppLayer = HttpServerLayer.pipe(Layer.provide(LogLevelLayer), Layer.provide(ServicesLayer))
