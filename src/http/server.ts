/** The HTTP server layer: routes on Node's http server, listening where the config says. */
// The module, not the package index: the index loads every Node module of the platform (+25 MB, +0.5 s).
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cause, Effect, Layer, LogLevel } from "effect"
import { HttpEffect, HttpRouter, HttpServerResponse } from "effect/http"
import { createServer, type Server } from "node:http"
import { AppConfig } from "../config/AppConfig.ts"
import { serviceFaultIn } from "../domain/Errors.ts"
import { requireApiKey, warnIfExposed } from "./auth.ts"
import { limitBodies } from "./bodyLimits.ts"
import { answerClientError } from "./clientError.ts"
import { crossSiteGuard } from "./crossSite.ts"
import { isRouteNotFound, jsonErrorBodies } from "./errorBody.ts"
import { observeRequests, ServerSpansLayer } from "./observe.ts"
import { routerAuthSkips, routes } from "./routes.ts"
import { serverCloseTimeout, withGracefulShutdown } from "./shutdown.ts"

const listen = (server: Server) => Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  // Its close must not cut requests before the grace period has ended them with their answers.
  return NodeHttpServer.layer(() => server, {
    port: config.port,
    host: config.host,
    gracefulShutdownTimeout: serverCloseTimeout(config)
  })
}))

const serve = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  // /mcp, /rpc and unknown routes; the contract's routes check keys themselves (`AuthorizationLayer`).
  const routerAuth = requireApiKey(config, routerAuthSkips)
  // Host, Origin and Content-Type, on every route before anything else reads the request.
  const crossSite = crossSiteGuard(config)
  const bodyLimits = limitBodies(config)
  return HttpRouter.serve(routes, {
    // The access log ("Sent HTTP response") is written at Info: below that level it would only
    // cost CPU on every request.
    disableLogger: LogLevel.isGreaterThan(config.logLevel, "Info"),
    // Anything unexpected is logged. By the time a failure gets here its answer is already sent:
    // `jsonErrorBodies` is what gives it (and every other bodiless error answer) a JSON body.
    middleware: (effect) =>
      // The body is read (within its limit) only once the request passed those checks and the key.
      crossSite(routerAuth(bodyLimits(effect))).pipe(
        HttpEffect.withPreResponseHandler(jsonErrorBodies),
        Effect.catchCause((cause) =>
          // A client that hung up (e.g. left /ask/stream) is no error of ours: effect answers it 499, quietly.
          // Nor is a request for a route that does not exist (404).
          Cause.hasInterrupts(cause) || isRouteNotFound(cause)
            ? Effect.failCause(cause)
            : Effect.logError("request failed", cause).pipe(
              Effect.as(HttpServerResponse.jsonUnsafe(
                { error: serviceFaultIn(cause)?.message ?? "internal error; see the service log" },
                { status: 500 }
              ))
            )
        ),
        // Outermost of ours: it counts the answer the client gets.
        observeRequests
      )
  })
}))

export const HttpServerLayer = Layer.unwrap(Effect.sync(() => {
  const server = createServer()
  server.on("clientError", answerClientError)
  return withGracefulShutdown(serve.pipe(Layer.provideMerge(listen(server))), server)
})).pipe(
  Layer.provide(Layer.effectDiscard(warnIfExposed)),
  // Request spans are made only with a trace exporter (OTEL_EXPORTER_OTLP_ENDPOINT): `References.TracerEnabled`
  // is set by src/observability/tracing.ts, around the whole app (docs/performance.md).
  Layer.provide(ServerSpansLayer)
)
