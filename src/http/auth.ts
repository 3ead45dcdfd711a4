/**
 * Inbound auth: with `API_KEYS` set, every route but `GET /health` (and the contract's own docs)
 * needs `Authorization: Bearer <key>`. The contract's routes are checked by its `Authorization`
 * middleware, everything else (/mcp, /rpc, unknown routes) by `requireApiKey` at the router. The web
 * console's pages are open: the page asks for the key and sends it with each API call.
 * Keys are compared in constant time over their SHA-256 digests, so length leaks nothing either.
 */
import { Effect, Layer, Redacted } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { timingSafeEqual } from "node:crypto"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"
import { bearerKey, callerOf, keyDigest as digest } from "../config/caller.ts"
import { Unauthorized } from "../domain/Http.ts"
import { Authorization, Caller } from "./Api.ts"

const presentedKey = (request: HttpServerRequest.HttpServerRequest): string | undefined =>
  bearerKey(request.headers.authorization)

const configuredDigests = (config: AppConfigShape) => config.apiKeys.map((key) => digest(Redacted.value(key)))

// No early exit: every configured key is compared.
const matchesAny = (keys: ReadonlyArray<Buffer>, candidate: Buffer): boolean =>
  keys.reduce((found, key) => timingSafeEqual(candidate, key) || found, false)

const keyMatches = (config: AppConfigShape, presented: string): boolean =>
  matchesAny(configuredDigests(config), digest(presented))

/** Whether the request carries one of the configured keys: what an open route shows depends on it. */
export const hasValidKey = (config: AppConfigShape, request: HttpServerRequest.HttpServerRequest): boolean => {
  const presented = presentedKey(request)
  return presented !== undefined && keyMatches(config, presented)
}

/** The digest of the request's bearer key: enough to tell its holder again, without keeping the key. */
export const presentedKeyDigest = (request: HttpServerRequest.HttpServerRequest): Buffer | undefined => {
  const presented = presentedKey(request)
  return presented === undefined ? undefined : digest(presented)
}

/** Constant-time equality of two key digests. */
export const sameKeyDigest = (a: Buffer, b: Buffer): boolean => timingSafeEqual(a, b)

export const isLoopbackHost = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.")

export const authMode = (config: AppConfigShape): "on" | "off" => config.apiKeys.length > 0 ? "on" : "off"

/** The one wording of a refusal, whichever check refuses. */
const refusal = (presented: boolean): string =>
  presented ? "invalid API key" : "missing API key: send Authorization: Bearer <key> (the service has API_KEYS set)"

/** The refusal of a request without one of the configured keys (none when auth is off or the key is valid). */
export const missingKey = (config: AppConfigShape, request: HttpServerRequest.HttpServerRequest): Unauthorized | undefined => {
  if (config.apiKeys.length === 0 || hasValidKey(config, request)) return undefined
  return new Unauthorized({ error: refusal(presentedKey(request) !== undefined) })
}

/** The contract's bearer auth; it provides the `Caller` its handlers give the engine. */
export const AuthorizationLayer = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const config = yield* AppConfig
    // Digested once here, not per request.
    const keys = configuredDigests(config)
    return Authorization.of({
      bearer: (handle, { credential }) => {
        if (keys.length === 0) return Effect.provideService(handle, Caller, "")
        // An absent or non-Bearer Authorization header is decoded as "".
        const presented = Redacted.value(credential).trim()
        if (presented === "") return Effect.fail(new Unauthorized({ error: refusal(false) }))
        const candidate = digest(presented)
        if (!matchesAny(keys, candidate)) return Effect.fail(new Unauthorized({ error: refusal(true) }))
        return Effect.provideService(handle, Caller, callerOf(candidate))
      }
    })
  })
)

const pathOf = (url: string): string =>
  URL.canParse(url, "http://localhost") ? new URL(url, "http://localhost").pathname : ""

/**
 * The router-level check, for every route the contract does not answer for itself (`skips`: the
 * contract's endpoints, which its middleware checks or leaves open, its docs, and the open console
 * pages). Without API_KEYS it is no check at all: nothing is added to a request's path.
 */
export const requireApiKey = (config: AppConfigShape, skips: (method: string, path: string) => boolean) => {
  if (config.apiKeys.length === 0) return <E, R>(handle: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) => handle
  const keys = configuredDigests(config)
  return <E, R>(handle: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      if (skips(request.method, pathOf(request.url))) return handle
      const presented = presentedKey(request)
      if (presented !== undefined && matchesAny(keys, digest(presented))) return handle
      return Effect.succeed(HttpServerResponse.jsonUnsafe(
        { error: refusal(presented !== undefined) },
        { status: 401, headers: { "www-authenticate": "Bearer" } }
      ))
    })
}

/** Logged at startup: an open service on a non-loopback address spends its keys for anyone. */
export const warnIfExposed = Effect.gen(function*() {
  const config = yield* AppConfig
  if (!isLoopbackHost(config.host) && config.apiKeys.length === 0) {
    yield* Effect.logWarning(
      `SECURITY: listening on ${config.host} without API_KEYS — anyone who can reach this address can spend ` +
        `your provider keys. Set API_KEYS, or bind HOST=127.0.0.1.`
    )
  }
})
