/** The whole service as one layer: the HTTP server over the engine's services. */
import { Effect, Layer, References } from "effect"
import { AppConfig } from "./config/AppConfig.ts"
import { HttpServerLayer } from "./http/server.ts"
import { LlmClient } from "./llm/LlmClient.ts"

export const ServicesLayer = LlmClient.layer.pipe(Layer.provideMerge(AppConfig.layer))

/** LOG_LEVEL applies to everything the server runs. */
const LogLevelLayer = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  return Layer.succeed(References.MinimumLogLevel, config.logLevel)
}))

export const AppLayer = HttpServerLayer.pipe(Layer.provide(LogLevelLayer), Layer.provide(ServicesLayer))
