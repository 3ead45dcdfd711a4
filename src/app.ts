/** The whole HTTP service as one layer: the HTTP server over the engine's services. */
import { Layer } from "effect"
import { HttpServerLayer } from "./http/server.ts"
import { LogLevelLayer, ServicesWithJobsLayer } from "./services.ts"

export const AppLayer = HttpServerLayer.pipe(Layer.provide(LogLevelLayer), Layer.provide(ServicesWithJobsLayer))
