/** Logs, traces and the METRICS switch as one layer, provided around everything a server runs. */
import { Layer } from "effect"
import { LoggingLayer } from "./logging.ts"
import { MetricsSwitchLayer } from "./metrics.ts"
import { TracingLayer } from "./tracing.ts"

export const ObservabilityLayer = Layer.mergeAll(LoggingLayer, TracingLayer, MetricsSwitchLayer)
