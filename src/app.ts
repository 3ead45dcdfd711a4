/** The whole service as one layer: the HTTP server over the engine's services. */
import { Layer } from "effect"
import { AppConfig } from "./config/AppConfig.ts"
import { HttpServerLayer } from "./http/server.ts"
import { LlmClient } from "./llm/LlmClient.ts"

export const ServicesLayer = LlmClient.layer.pipe(Layer.provideMerge(AppConfig.layer))

export const AppLayer = HttpServerLayer.pipe(Layer.provide(ServicesLayer))
