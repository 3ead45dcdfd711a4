/**
 * `GET /docs`: the API reference Scalar renders from the contract, offline (its script is inlined,
 * its web fonts off). It is sent with a Content-Security-Policy like the console's: only its own
 * two inline scripts run (allowed by their SHA-256, computed from the page itself), it talks only to
 * this service, and no other site may frame it (`frame-ancestors 'none'`, clickjacking).
 */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiScalar } from "effect/http-api"
import { createHash } from "node:crypto"
import { Api } from "./Api.ts"

const inlineScripts = /<script>([\s\S]*?)<\/script>/g

/** The page's policy: each inline script by its hash, nothing from elsewhere. */
export const docsPolicy = (html: string): string => {
  const hashes = [...html.matchAll(inlineScripts)].map((match) =>
    `'sha256-${createHash("sha256").update(match[1]!).digest("base64")}'`
  )
  return `default-src 'self'; script-src ${hashes.join(" ")}; style-src 'self' 'unsafe-inline'; ` +
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

const decoder = new TextDecoder()

/** Scalar builds the page once: so is its policy, kept per body. */
const policies = new WeakMap<Uint8Array, string>()

const withPolicy = (response: HttpServerResponse.HttpServerResponse) => {
  if (response.body._tag !== "Uint8Array") return response
  const body = response.body.body
  let policy = policies.get(body)
  if (policy === undefined) {
    policy = docsPolicy(decoder.decode(body))
    policies.set(body, policy)
  }
  return HttpServerResponse.setHeaders(response, {
    "content-security-policy": policy,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer"
  })
}

const securityHeaders = HttpRouter.middleware((handle) => Effect.map(handle, withPolicy))

export const DocsRoute = HttpApiScalar.layer(Api, { path: "/docs", scalar: { withDefaultFonts: false } }).pipe(
  Layer.provide(securityHeaders.layer)
)
