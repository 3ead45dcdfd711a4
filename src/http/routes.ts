/**
 * The HTTP surface: POST /ask and GET /health here, plus POST /ask/stream, /mcp and /rpc mounted from
 * their own modules; all thin adapters over the batch engine.
 */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { runBatch } from "../batch/engine.ts"
import { Cache } from "../cache/Cache.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { decodeBatchRequest } from "../domain/decode.ts"
import { McpHttpRoutes } from "../mcp/http.ts"
import { RpcRoutes } from "../rpc/server.ts"
import { responseModels } from "../validation/models.ts"
import { authMode, callerKey, hasValidKey } from "./auth.ts"
import { readJsonBody } from "./body.ts"
import { askStreamRoute } from "./stream.ts"

const errorResponse = (status: number, message: string) =>
  HttpServerResponse.jsonUnsafe({ error: message }, { status })

const ask = Effect.gen(function*() {
  const started = performance.now()
  const config = yield* AppConfig
  const request = yield* HttpServerRequest.HttpServerRequest
  const body = yield* readJsonBody(request, config.maxBodyBytes)
  const batch = yield* decodeBatchRequest(body)
  const response = yield* runBatch(batch, { caller: callerKey(config, request.headers.authorization) })
  // The service's own time (from reading the body to the answer), without the caller's network: what
  // a slow round trip is made of, and what the bench's cache figure is.
  const serverTiming = `app;dur=${(performance.now() - started).toFixed(1)}`
  return HttpServerResponse.jsonUnsafe(response, { headers: { "server-timing": serverTiming } })
}).pipe(
  Effect.catchTags({
    BodyError: (error) => Effect.succeed(errorResponse(error.status, error.message)),
    InvalidBatchError: (error) => Effect.succeed(errorResponse(400, error.message))
  })
)

const health = Effect.gen(function*() {
  const config = yield* AppConfig
  const request = yield* HttpServerRequest.HttpServerRequest
  // Open to all, so with API_KEYS set only a key holder learns more than "up" (cache sizes, Redis address).
  if (authMode(config) === "on" && !hasValidKey(config, request)) return HttpServerResponse.jsonUnsafe({ status: "ok" })
  // Redis being down is a warning, not ill health: questions are still answered (uncached).
  const cache = yield* Cache.use((cache) => cache.health)
  return HttpServerResponse.jsonUnsafe({ status: "ok", auth: authMode(config), cache })
})

/** The registered response models with their JSON Schemas (generated once, at startup). */
const responseModelListing = {
  models: responseModels.map((model) => ({
    name: model.name,
    description: model.description,
    json_schema: model.jsonSchema
  }))
}

/**
 * Another method on one of these paths is a 405 naming the right one: effect's router alone would
 * answer 404, as for a path that does not exist. (/mcp answers its own 405s.)
 */
const methodNotAllowed = Layer.effectDiscard(Effect.gen(function*() {
  const router = yield* HttpRouter.HttpRouter
  const allowed = [
    ["POST", "/ask"],
    ["POST", "/ask/stream"],
    ["POST", "/rpc"],
    ["GET", "/health"],
    ["GET", "/models/response"]
  ] as const
  for (const [method, path] of allowed) {
    for (const other of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const) {
      if (other !== method) yield* router.add(other, path, HttpServerResponse.empty({ status: 405, headers: { allow: method } }))
    }
  }
}))

export const routes = Layer.mergeAll(
  HttpRouter.add("POST", "/ask", ask),
  HttpRouter.add("GET", "/health", health),
  HttpRouter.add("GET", "/models/response", Effect.sync(() => HttpServerResponse.jsonUnsafe(responseModelListing))),
  // Agent surfaces: NDJSON streaming, MCP (Streamable HTTP) and Effect RPC, each in its own module.
  askStreamRoute,
  McpHttpRoutes,
  RpcRoutes,
  methodNotAllowed
)
