/**
 * Every 4xx/5xx the service sends has a JSON `{"error": …}` body. Handlers write their own; this
 * fills in the ones effect sends empty: an unknown route's 404, the MCP transport's refusals
 * (403, 404, 405, 406, 415) and a defect's 500.
 */
import { Cause, Effect } from "effect"
import { HttpBody, type HttpEffect, HttpServerError, HttpServerResponse } from "effect/http"

const pathOf = (url: string) => URL.canParse(url, "http://localhost") ? new URL(url, "http://localhost").pathname : url

const describe = (method: string, url: string, response: HttpServerResponse.HttpServerResponse, mcpSession: boolean) => {
  const path = pathOf(url)
  switch (response.status) {
    case 403:
      return `${method} ${path} is forbidden`
    case 404:
      return mcpSession
        ? "unknown MCP session; send initialize to open a new one"
        : `no such route: ${method} ${path}; GET /docs lists the service's routes`
    case 405:
      return `${method} is not allowed on ${path}; use ${response.headers["allow"] ?? "another method"}`
    case 406:
      return "not acceptable: send Accept: application/json, text/event-stream"
    case 415:
      return "unsupported content type: send Content-Type: application/json"
    case 500:
      return "internal error; see the service log"
    case 503:
      return "the service is shutting down; retry against another instance or later"
    default:
      return `HTTP ${response.status}`
  }
}

/** A pre-response handler: an error answer without a body gets a JSON one saying what went wrong. */
export const jsonErrorBodies: HttpEffect.PreResponseHandler = (request, response) =>
  Effect.succeed(
    response.status >= 400 && response.body._tag === "Empty"
      ? HttpServerResponse.setBody(
        response,
        HttpBody.jsonUnsafe({
          error: describe(request.method, request.url, response, request.headers["mcp-session-id"] !== undefined)
        })
      )
      : response
  )

/** A request for a route that does not exist: answered 404 above, and no error of the service's. */
export const isRouteNotFound = (cause: Cause.Cause<unknown>): boolean =>
  cause.reasons.some((reason) =>
    Cause.isFailReason(reason) && HttpServerError.isHttpServerError(reason.error) &&
    reason.error.reason._tag === "RouteNotFound"
  )
