/**
 * MCP over Streamable HTTP at /mcp, every protocol revision in `protocols`, behind an Origin check.
 * Sessions may be ended with DELETE, only with the key that opened them (sessionOwners.ts); a POST
 * whose connection closes interrupts its tool calls.
 */
import { Effect, Layer } from "effect"
import { McpServer } from "effect/ai"
import { Headers, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { AppConfig } from "../config/AppConfig.ts"
import { callerKey } from "../config/caller.ts"
import { bodyLimitFor, refuseTooManyValues } from "../http/bodyLimits.ts"
import { isAllowedOrigin } from "../http/crossSite.ts"
import { envelopeRefusal, jsonRpcEnvelopeProblem } from "../http/envelope.ts"
import { JobOwner } from "./jobTools.ts"
import { protocols, registrations, serverInfo } from "./server.ts"
import { sessionOwnerGuard } from "./sessionOwners.ts"

/**
 * effect's own check knows only exact origins (no "any loopback port"), so this guard decides, by
 * the rule every route follows (crossSite.ts), and hands the request on without its Origin once it
 * has been accepted. (The router checked POSTs already; this one also covers GET and DELETE.)
 */
const originGuard = HttpRouter.middleware(Effect.gen(function*() {
  const config = yield* AppConfig
  // The body is read once, on the request the transport reads (a `modify`d copy cannot read it
  // again): its JSON values counted (src/http/bodyLimits.ts), then its envelope checked (envelope.ts).
  const limit = bodyLimitFor(config, "/mcp")
  const withinLimits = <E, R>(
    request: HttpServerRequest.HttpServerRequest,
    handle: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ) =>
    refuseTooManyValues(request, limit, config.maxJsonValues).pipe(
      Effect.flatMap((refusal) => refusal === undefined ? envelopeRefusal(request, jsonRpcEnvelopeProblem) : Effect.succeed(refusal)),
      Effect.flatMap((refusal) => refusal === undefined ? handle : Effect.succeed(refusal))
    )
  return (handle) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const origin = request.headers.origin
      if (origin === undefined) return yield* withinLimits(request, handle)
      if (!isAllowedOrigin(origin, config.allowedOrigins, request.headers.host)) {
        return HttpServerResponse.jsonUnsafe(
          { error: `Origin ${origin} may not use /mcp; add it to ALLOWED_ORIGINS to allow it` },
          { status: 403 }
        )
      }
      const accepted = request.modify({ headers: Headers.remove(request.headers, "origin") })
      return yield* Effect.provideService(withinLimits(accepted, handle), HttpServerRequest.HttpServerRequest, accepted)
    })
}))

/** With API_KEYS, a batch job belongs to the key of the request that calls a job tool. */
const KeyJobOwner = McpServer.middleware<{ provides: JobOwner }>()(Effect.gen(function*() {
  const config = yield* AppConfig
  return (effect, { headers }) => Effect.provideService(effect, JobOwner, callerKey(config, headers.authorization))
}))

export const McpHttpRoutes = McpServer.layerHttp({
  ...serverInfo,
  path: "/mcp",
  protocols,
  allowSessionTermination: true,
  registrations: registrations(KeyJobOwner.layer)
}).pipe(Layer.provide(originGuard.combine(sessionOwnerGuard).layer))
