/**
 * Inbound auth: with `API_KEYS` set, every route but `GET /health` needs `Authorization: Bearer <key>`.
 * Keys are compared in constant time over their SHA-256 digests, so length leaks nothing either.
 */
import { Effect, Redacted } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { createHash, timingSafeEqual } from "node:crypto"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"

const digest = (value: string) => createHash("sha256").update(value).digest()

const openRoutes = new Set(["GET /health"])

const isOpen = (request: HttpServerRequest.HttpServerRequest): boolean => {
  const path = URL.canParse(request.url, "http://localhost") ? new URL(request.url, "http://localhost").pathname : ""
  return openRoutes.has(`${request.method} ${path}`)
}

const bearerKey = (authorization: string | undefined): string | undefined =>
  /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim()

const presentedKey = (request: HttpServerRequest.HttpServerRequest): string | undefined =>
  bearerKey(request.headers.authorization)

/**
 * Who sent a batch, for the fair share of upstream slots: a digest of the bearer key when auth is
 * on (the key itself is not kept), "" when it is off.
 */
export const callerKey = (config: AppConfigShape, authorization: string | undefined): string => {
  const key = config.apiKeys.length === 0 ? undefined : bearerKey(authorization)
  return key === undefined ? "" : digest(key).toString("base64url")
}

const keyMatches = (config: AppConfigShape, presented: string): boolean => {
  const candidate = digest(presented)
  // No early exit: every configured key is compared.
  return config.apiKeys.reduce((found, key) => timingSafeEqual(candidate, digest(Redacted.value(key))) || found, false)
}

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

export const requireApiKey = <E, R>(handle: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const request = yield* HttpServerRequest.HttpServerRequest
    if (config.apiKeys.length === 0 || isOpen(request)) return yield* handle
    const presented = presentedKey(request)
    if (presented !== undefined && keyMatches(config, presented)) return yield* handle
    return HttpServerResponse.jsonUnsafe(
      {
        error: presented === undefined
          ? "missing API key: send Authorization: Bearer <key> (the service has API_KEYS set)"
          : "invalid API key"
      },
      { status: 401, headers: { "www-authenticate": "Bearer" } }
    )
  })

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
