/**
 * The handlers of the HTTP contract (`Api.ts`), thin adapters over the engine. The batch routes
 * read and decode the body themselves (body.ts, decode.ts) instead of letting HttpApi decode it, so
 * every 4xx says what it always said: the field path and the problem, as `{"error": "…"}`.
 */
import { Effect, Layer } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { runPlan } from "../batch/engine.ts"
import { planBatch } from "../batch/plan.ts"
import type { BatchServices } from "../batch/stream.ts"
import { Cache } from "../cache/Cache.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { decodeBatchRequest } from "../domain/decode.ts"
import { type Health, InvalidRequest, type ResponseModelListing } from "../domain/Http.ts"
import { responseModels } from "../validation/models.ts"
import { Api, Caller } from "./Api.ts"
import { authMode, AuthorizationLayer, hasValidKey } from "./auth.ts"
import { readJsonBody } from "./body.ts"
import { JobsHandlers } from "./jobs.ts"
import { metricsResponse } from "./metricsRoute.ts"
import { ndjsonResults } from "./stream.ts"

/** The registered response models with their JSON Schemas (generated once, at startup). */
const responseModelListing: ResponseModelListing = {
  models: responseModels.map((model) => ({
    name: model.name,
    description: model.description,
    json_schema: model.jsonSchema
  }))
}

const BatchHandlers = HttpApiBuilder.group(
  Api,
  "batch",
  Effect.fnUntraced(function*(handlers) {
    const config = yield* AppConfig
    // The stream's body runs after its handler has returned: it takes the engine's services along.
    const services = yield* Effect.context<BatchServices>()

    /** Body → batch → plan: every failure is the caller's, a 4xx. Planned once, then run as planned. */
    const readPlan = Effect.fnUntraced(function*(request: HttpServerRequest.HttpServerRequest) {
      const batch = yield* decodeBatchRequest(yield* readJsonBody(request, { maxBytes: config.maxBodyBytes, maxValues: config.maxJsonValues }))
      return { plan: yield* planBatch(batch, config), maxCostUsd: batch.max_cost_usd }
    }, Effect.catchTag("InvalidBatchError", (error) => Effect.fail(new InvalidRequest({ error: error.message }))))

    return handlers
      // The answer is written as is: it was built from the domain types, so encoding it through its
      // Schema again would only cost CPU on the hot path.
      .handleRaw("ask", Effect.fnUntraced(function*({ request }) {
        const started = performance.now()
        const { maxCostUsd, plan } = yield* readPlan(request)
        const response = yield* runPlan(plan, { caller: yield* Caller, maxCostUsd })
        // The service's own time (from reading the body to the answer), without the caller's network:
        // what a slow round trip is made of, and what the bench's cache figure is.
        const serverTiming = `app;dur=${(performance.now() - started).toFixed(1)}`
        return HttpServerResponse.jsonUnsafe(response, { headers: { "server-timing": serverTiming } })
      }))
      // A batch that is wrong as a whole is a 400 here, before the 200 and the first line.
      .handleRaw("askStream", Effect.fnUntraced(function*({ request }) {
        const { maxCostUsd, plan } = yield* readPlan(request)
        return ndjsonResults(plan, yield* Caller, services, maxCostUsd)
      }))
      .handle("responseModels", () => Effect.succeed(responseModelListing))
  })
)

const SystemHandlers = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fnUntraced(function*(handlers) {
    const config = yield* AppConfig
    const cache = yield* Cache
    return handlers.handle("health", ({ request }) => {
      // Open to all, so with API_KEYS set only a key holder learns more than "up" (cache sizes, Redis address).
      if (authMode(config) === "on" && !hasValidKey(config, request)) return Effect.succeed<Health>({ status: "ok" })
      // Redis being down is a warning, not ill health: questions are still answered (uncached).
      return Effect.map(cache.health, (cache): Health => ({ status: "ok", auth: authMode(config), cache }))
    }).handleRaw("metrics", ({ request }) => metricsResponse(config, request))
  })
)

export const ApiHandlers = Layer.mergeAll(BatchHandlers, JobsHandlers, SystemHandlers).pipe(
  Layer.provide(AuthorizationLayer)
)
