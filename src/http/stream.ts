/**
 * POST /ask/stream: the same request as POST /ask, answered as newline-delimited JSON — one
 * `ResultItem` per line as each question finishes. A client that disconnects interrupts the batch.
 */
import { Effect, Stream } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { planBatch } from "../batch/plan.ts"
import { type BatchServices, streamBatch } from "../batch/stream.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { decodeBatchRequest } from "../domain/decode.ts"
import { callerKey } from "./auth.ts"
import { readJsonBody } from "./body.ts"

const line = (value: unknown) => `${JSON.stringify(value)}\n`

const askStream = Effect.gen(function*() {
  const config = yield* AppConfig
  const request = yield* HttpServerRequest.HttpServerRequest
  const body = yield* readJsonBody(request, config.maxBodyBytes)
  const batch = yield* decodeBatchRequest(body)
  // A batch that is wrong as a whole is a 400 here, before the 200 and the first line, as on /ask.
  yield* planBatch(batch, config)
  const services = yield* Effect.context<BatchServices>()
  const lines = streamBatch(batch, callerKey(config, request.headers.authorization)).pipe(
    Stream.map(line),
    // Only reachable if the engine rejects the batch after the check above: say so on the last line.
    Stream.catchTag("InvalidBatchError", (error) => Stream.succeed(line({ error: error.message }))),
    Stream.encodeText,
    Stream.provideContext(services)
  )
  return HttpServerResponse.stream(lines, {
    contentType: "application/x-ndjson",
    // Proxies (nginx) must pass each line on as it comes instead of buffering the body.
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
  })
}).pipe(
  Effect.catchTags({
    BodyError: (error) => Effect.succeed(HttpServerResponse.jsonUnsafe({ error: error.message }, { status: error.status })),
    InvalidBatchError: (error) => Effect.succeed(HttpServerResponse.jsonUnsafe({ error: error.message }, { status: 400 }))
  })
)

export const askStreamRoute = HttpRouter.add("POST", "/ask/stream", askStream)
