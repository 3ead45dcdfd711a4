/** OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, METRICS, METRICS_PUBLIC and LOG_FORMAT: defaults, and what a bad value says. */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option } from "effect"
import { appConfig } from "../../src/config/AppConfig.ts"

const read = (env: Record<string, string>) => appConfig.parse(ConfigProvider.fromEnv({ env }))

describe("observability settings", () => {
  it.effect("default to no tracing, service llm-batch, metrics on behind auth, text logs", () =>
    Effect.gen(function*() {
      const { observability } = yield* read({})
      expect(observability).toEqual({
        otlpEndpoint: Option.none(),
        serviceName: "llm-batch",
        metrics: true,
        metricsPublic: false,
        logFormat: "text"
      })
    }))

  it.effect("OTEL_EXPORTER_OTLP_ENDPOINT is a base URL; a trailing slash is dropped", () =>
    Effect.gen(function*() {
      const { observability } = yield* read({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })
      expect(observability.otlpEndpoint).toEqual(Option.some("http://collector:4318"))
    }))

  it.effect("an OTEL_EXPORTER_OTLP_ENDPOINT that is not an http(s) URL stops the start, saying what it wants", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" }))
      expect(String(error)).toContain("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL")
    }))

  it.effect("LOG_FORMAT is text or json", () =>
    Effect.gen(function*() {
      expect((yield* read({ LOG_FORMAT: "json" })).observability.logFormat).toBe("json")
      const error = yield* Effect.flip(read({ LOG_FORMAT: "yaml" }))
      expect(String(error)).toContain("LOG_FORMAT")
    }))
})
