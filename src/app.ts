/** The whole HTTP service as one layer: the HTTP server over the engine's services. */
import { Layer } from "effect"
import { AppConfig } from "./config/AppConfig.ts"
import { HttpServerLayer } from "./http/server.ts"
import { ObservabilityLayer } from "./observability/layer.ts"
import { LogLevelLayer, ServicesWithJobsLayer } from "./services.ts"

export const AppLayer = HttpServerLayer.pipe(
  Layer.provide(LogLevelLayer),
  Layer.provide(ServicesWithJobsLayer),
  // Outermost: LOG_FORMAT, the tracer (OTEL_EXPORTER_OTLP_ENDPOINT) and METRICS apply to every layer above.
  Layer.provide(ObservabilityLayer.pipe(Layer.provide(AppConfig.layer)))
)
