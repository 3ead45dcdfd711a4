/** The HTTP server layer: routes on Node's http server, listening where the config says. */
// The module, not the package index: the index loads every Node module of the platform (+25 MB, +0.5 s).
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cause, Effect, Layer, LogLevel, References } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import { AppConfig } from "../config/AppConfig.ts"
import { requireApiKey, warnIfExposed } from "./auth.ts"
import { routes } from "./routes.ts"

const listen = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  return NodeHttpServer.layer(createServer, { port: config.port, host: config.host })
}))

const serve = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  return HttpRouter.serve(routes, {
    // The access log ("Sent HTTP response") is written at Info: below that level it would only
    // cost CPU on every request.
    disableLogger: LogLevel.isGreaterThan(config.logLevel, "Info"),
    // Anything unexpected becomes a logged JSON 500 instead of an empty body.
    middleware: (effect) =>
      requireApiKey(effect).pipe(
        Effect.catchCause((cause) =>
          // A client that hung up (e.g. left /ask/stream) is no error of ours: effect answers it 499, quietly.
          Cause.hasInterrupts(cause)
            ? Effect.failCause(cause)
            : Effect.logError("request failed", cause).pipe(
              Effect.as(HttpServerResponse.jsonUnsafe({ error: "internal error; see the service log" }, { status: 500 }))
            )
        )
      )
  })
}))

export const HttpServerLayer = serve.pipe(
  Layer.provideMerge(listen),
  Layer.provide(Layer.effectDiscard(warnIfExposed)),
  // No trace exporter is configured, so request spans would be built for nobody (README, Performance).
  Layer.provide(Layer.succeed(References.TracerEnabled, false))
)
