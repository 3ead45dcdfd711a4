/**
 * The HTTP side of observability: every answered request counted by route and status, GET /health
 * logged at Debug (a load balancer's probes would fill an Info log), server spans named after the
 * route. GET /metrics is metricsRoute.ts.
 */
import { Context, Effect, Exit, Layer } from "effect"
import { HttpMiddleware, HttpServerError, HttpServerRequest, type HttpServerResponse } from "effect/http"
import { recordRequest } from "../observability/metrics.ts"
import { isConsolePage } from "./console.ts"
import { contractRoutes } from "./routes.ts"

/** Route templates split into segments; `:id` matches any one segment. */
const templates: ReadonlyArray<ReadonlyArray<string>> = [
  ...new Set([...contractRoutes].map((route) => route.slice(route.indexOf(" ") + 1))),
  "/mcp",
  "/rpc",
  "/"
].map((path) => path.split("/"))

const pathOf = (url: string): string => {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/**
 * The route a path was served by (`/batches/:id`, not the id), or `other`: the label's values are
 * bounded whatever callers send.
 */
export const routeLabel = (url: string): string => {
  const path = pathOf(url)
  // Every console file under one label.
  if (path !== "/" && isConsolePage("GET", path)) return "/console/*"
  const segments = path.split("/")
  const found = templates.find((template) =>
    template.length === segments.length &&
    template.every((part, i) => part === segments[i] || (part.startsWith(":") && segments[i] !== ""))
  )
  return found === undefined ? "other" : found.join("/")
}

/** Counts the request once answered; GET /health's access log line is written at Debug instead of Info. */
export const observeRequests = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiber((fiber) => {
    const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
    const route = routeLabel(request.url)
    const health = route === "/health"
    return Effect.onExit(health ? HttpMiddleware.withLoggerDisabled(app) : app, (exit) => {
      const status = Exit.isSuccess(exit) ? exit.value.status : HttpServerError.causeResponseStripped(exit.cause)[0].status
      recordRequest(route, request.method, status)
      if (!health) return Effect.void
      return Effect.logDebug("Sent HTTP response").pipe(
        Effect.annotateLogs({ "http.method": request.method, "http.url": "/health", "http.status": status })
      )
    })
  })

/** Server spans are named `METHOD /route`; health checks and scrapes are not traced. */
export const ServerSpansLayer = Layer.mergeAll(
  Layer.succeed(HttpMiddleware.SpanNameGenerator)((request) => `${request.method} ${routeLabel(request.url)}`),
  Layer.succeed(HttpMiddleware.TracerDisabledWhen)((request) => {
    const route = routeLabel(request.url)
    return route === "/health" || route === "/metrics"
  })
)
