/** The HTTP server layer: routes on Node's http server, listening where the config says. */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import { AppConfig } from "../config/AppConfig.ts"
import { routes } from "./routes.ts"

const listen = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  return NodeHttpServer.layer(createServer, { port: config.port, host: config.host })
}))

export const HttpServerLayer = HttpRouter.serve(routes, {
  // Anything unexpected becomes a logged JSON 500 instead of an empty body.
  middleware: (effect) =>
    effect.pipe(
      Effect.catchCause((cause) =>
        Effect.logError("request failed", cause).pipe(
          Effect.as(HttpServerResponse.jsonUnsafe({ error: "internal error; see the service log" }, { status: 500 }))
        )
      )
    )
}).pipe(Layer.provideMerge(listen))
