/** GET /metrics: effect's Prometheus rendering of src/observability/metrics.ts. */
import { Effect } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
// The module, not the `effect/observability` index, which loads every OTLP exporter too.
import * as PrometheusMetrics from "effect/observability/PrometheusMetrics"
import type { AppConfigShape } from "../config/AppConfig.ts"
import { registryContext } from "../observability/metrics.ts"
import { prometheusContentType } from "./Api.ts"
import { missingKey } from "./auth.ts"

/** GET /metrics: with API_KEYS set, a key is needed unless METRICS_PUBLIC=true. */
export const metricsResponse = (config: AppConfigShape, request: HttpServerRequest.HttpServerRequest) => {
  const refused = config.observability.metricsPublic ? undefined : missingKey(config, request)
  if (refused !== undefined) return Effect.fail(refused)
  return Effect.sync(() =>
    HttpServerResponse.text(PrometheusMetrics.formatUnsafe(registryContext), { contentType: prometheusContentType })
  )
}
