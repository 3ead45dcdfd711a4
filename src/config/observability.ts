/**
 * Metrics, traces and logs settings (docs/observability.md): where spans go, what the service is
 * called there, whether /metrics needs a key, and the log line format.
 */
import { Config, ConfigProvider, Option } from "effect"

export type LogFormat = "text" | "json"

export interface ObservabilitySettings {
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT: the OTLP/HTTP base URL; spans go to `<it>/v1/traces`. Unset: no
   * tracer at all, nothing traced.
   */
  readonly otlpEndpoint: Option.Option<string>
  /** OTEL_SERVICE_NAME: `service.name` of the exported spans. */
  readonly serviceName: string
  /** METRICS=false records nothing (to measure what recording costs). */
  readonly metrics: boolean
  /** METRICS_PUBLIC=true: GET /metrics without a key even when API_KEYS is set. */
  readonly metricsPublic: boolean
  readonly logFormat: LogFormat
}

/** A base URL, without a trailing slash; anything else is a startup error naming the variable. */
const otlpEndpoint = Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")).pipe(
  Config.map(Option.map((url) => url.trim().replace(/\/+$/, ""))),
  Config.map(Option.filter((url) => url !== "")),
  Config.flatMap((url) =>
    Option.isSome(url) && !(URL.canParse(url.value) && /^https?:$/.test(new URL(url.value).protocol))
      ? Config.fail(new ConfigProvider.SourceError({
        message: "OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, the collector's OTLP/HTTP base " +
          "(e.g. http://localhost:4318); spans are sent to <it>/v1/traces"
      }))
      : Config.succeed(url)
  )
)

export const observabilityConfig: Config.Config<ObservabilitySettings> = Config.all({
  otlpEndpoint,
  serviceName: Config.NonEmptyString("OTEL_SERVICE_NAME").pipe(Config.withDefault("llm-batch")),
  metrics: Config.Boolean("METRICS").pipe(Config.withDefault(true)),
  metricsPublic: Config.Boolean("METRICS_PUBLIC").pipe(Config.withDefault(false)),
  logFormat: Config.Literals(["text", "json"], "LOG_FORMAT").pipe(Config.withDefault("text" as const))
})
