/**
 * What keeps another web site from using a service it can reach through its visitor's browser
 * (cross-site requests, DNS rebinding), checked on every route before anything else:
 * - `Host`: bound to loopback, only loopback names are served (`localhost`, `127.x.x.x`, `[::1]`,
 *   any port) besides those in ALLOWED_HOSTS. A rebinding page keeps its own name as `Host`.
 * - `Origin`: a state-changing request (anything but GET, HEAD, OPTIONS) that a browser sent from
 *   another origin is refused, unless that origin is loopback or listed in ALLOWED_ORIGINS.
 *   Requests without `Origin` (curl, SDKs, agents) are not browsers' cross-site requests.
 * - `Content-Type`: a body must say it is JSON, NDJSON or JSONL. A page may send any other type
 *   (text/plain, none) without asking the service first (CORS preflight); these it must ask for.
 */
import { Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { AppConfigShape } from "../config/AppConfig.ts"
import { isLoopbackHost } from "./auth.ts"
import { isJsonFamilyContentType } from "./body.ts"

const loopbackName = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** A `Host` header → its name and name:port, lower case; undefined when it is not just a host. */
const parseHost = (host: string): { readonly name: string; readonly host: string } | undefined => {
  if (!URL.canParse(`http://${host}`)) return undefined
  const url = new URL(`http://${host}`)
  // Anything beyond name[:port] (a path, credentials) is not a Host header.
  if (url.host !== host.toLowerCase() && `${url.hostname}:80` !== host.toLowerCase()) return undefined
  return { name: url.hostname, host: url.host }
}

export const isLoopbackOrigin = (origin: string): boolean => {
  if (!URL.canParse(origin)) return false
  const url = new URL(origin)
  return (url.protocol === "http:" || url.protocol === "https:") && loopbackName.test(url.hostname)
}

/**
 * The one Origin rule, for every route and /mcp: loopback origins (any port, so local tools such as
 * the MCP Inspector work), the service's own origin (its console), or one listed in `allowed`
 * (exact origins, `https://app.example.com`). The own origin is safe only with the Host check.
 */
export const isAllowedOrigin = (origin: string, allowed: ReadonlyArray<string>, host: string | undefined): boolean => {
  if (isLoopbackOrigin(origin)) return true
  if (!URL.canParse(origin)) return false
  const url = new URL(origin)
  if (allowed.includes(url.origin)) return true
  return host !== undefined && (url.protocol === "http:" || url.protocol === "https:") &&
    url.host === host.toLowerCase()
}

/**
 * Whether a `Host` header is served. Bound to loopback (the default), only loopback names and
 * ALLOWED_HOSTS; bound elsewhere, any name unless ALLOWED_HOSTS is set. No header (HTTP/1.0) is no
 * browser's.
 */
export const isServedHost = (config: AppConfigShape, header: string | undefined): boolean => {
  if (header === undefined) return true
  if (config.allowedHosts.includes("*")) return true
  const host = parseHost(header)
  if (host === undefined) return false
  if (loopbackName.test(host.name)) return true
  if (config.allowedHosts.includes(host.name) || config.allowedHosts.includes(host.host)) return true
  return config.allowedHosts.length === 0 && !isLoopbackHost(config.host)
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"])

const hasBody = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const length = request.headers["content-length"]
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length.trim() !== "0")
}

const refuse = (status: number, error: string) => HttpServerResponse.jsonUnsafe({ error }, { status })

/** Why a request is refused (its answer), or undefined when it may go on. */
export const crossSiteRefusal = (
  config: AppConfigShape,
  request: HttpServerRequest.HttpServerRequest
): HttpServerResponse.HttpServerResponse | undefined => {
  const host = request.headers.host
  if (!isServedHost(config, host)) {
    return refuse(
      403,
      `Host '${host}' is not served: the service is bound to ${config.host} and answers loopback names only; ` +
        "add the name to ALLOWED_HOSTS to serve it"
    )
  }
  if (safeMethods.has(request.method)) return undefined
  const origin = request.headers.origin
  if (origin !== undefined && !isAllowedOrigin(origin, config.allowedOrigins, host)) {
    return refuse(403, `Origin ${origin} may not send ${request.method} requests; add it to ALLOWED_ORIGINS to allow it`)
  }
  const contentType = request.headers["content-type"]
  if (hasBody(request) && !isJsonFamilyContentType(contentType)) {
    return refuse(
      415,
      `content type '${contentType ?? "(none)"}' is not accepted: send Content-Type: application/json ` +
        "(application/x-ndjson for /rpc, application/jsonl for POST /batches's one question per line)"
    )
  }
  return undefined
}

/** The check as router middleware (server.ts), outside every other. */
export const crossSiteGuard = (config: AppConfigShape) =>
<E, R>(handle: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const refusal = crossSiteRefusal(config, request)
    return refusal === undefined ? handle : Effect.succeed(refusal)
  })
