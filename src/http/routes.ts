/** The HTTP surface: POST /ask and GET /health, thin adapters over the batch engine. */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { runBatch } from "../batch/engine.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { decodeBatchRequest } from "../domain/decode.ts"
import { readJsonBody } from "./body.ts"

const errorResponse = (status: number, message: string) =>
  HttpServerResponse.jsonUnsafe({ error: message }, { status })

const ask = Effect.gen(function*() {
  const config = yield* AppConfig
  const request = yield* HttpServerRequest.HttpServerRequest
  const body = yield* readJsonBody(request, config.maxBodyBytes)
  const batch = yield* decodeBatchRequest(body)
  const response = yield* runBatch(batch)
  return HttpServerResponse.jsonUnsafe(response)
}).pipe(
  Effect.catchTags({
    BodyError: (error) => Effect.succeed(errorResponse(error.status, error.message)),
    InvalidBatchError: (error) => Effect.succeed(errorResponse(400, error.message))
  })
)

const health = Effect.succeed(HttpServerResponse.jsonUnsafe({ status: "ok" }))

export const routes = Layer.mergeAll(
  HttpRouter.add("POST", "/ask", ask),
  HttpRouter.add("GET", "/health", health)
)
