/**
 * OpenTelemetry traces over OTLP/HTTP (JSON), with effect's own exporter, when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Unset, no tracer is installed and tracing is off
 * (`References.TracerEnabled`): no span is built anywhere, so it costs nothing. What is exported
 * is scrubbed of secrets as it is serialized (scrubbedExport.ts).
 */
import { Effect, Layer, Option, References } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpTracer } from "effect/observability"
import packageJson from "../../package.json" with { type: "json" }
import { AppConfig } from "../config/AppConfig.ts"
import { secretValues } from "../config/secrets.ts"
import { scrubbedJsonSerialization } from "./scrubbedExport.ts"

export const TracingLayer = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  const { otlpEndpoint, serviceName } = config.observability
  if (Option.isNone(otlpEndpoint)) return Layer.succeed(References.TracerEnabled, false)
  return OtlpTracer.layer({
    url: `${otlpEndpoint.value}/v1/traces`,
    resource: { serviceName, serviceVersion: packageJson.version }
  }).pipe(
    Layer.provide([scrubbedJsonSerialization(secretValues(config)), FetchHttpClient.layer]),
    Layer.merge(Layer.succeed(References.TracerEnabled, true))
  )
}))
