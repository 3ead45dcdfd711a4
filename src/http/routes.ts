/**
 * Every HTTP route: the contract (`Api.ts`) with its handlers, `/openapi.json` and `/docs`
 * generated from it, the agent surfaces /mcp and /rpc beside it, and the web console (`/`,
 * `/console/*`), each from its own module.
 */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { McpHttpRoutes } from "../mcp/http.ts"
import { RpcRoutes } from "../rpc/server.ts"
import { Api } from "./Api.ts"
import { consoleRoutePaths, ConsoleRoutes, isConsolePage } from "./console.ts"
import { DocsRoute } from "./docs.ts"
import { ApiHandlers } from "./handlers.ts"

type Route = readonly [method: string, path: HttpRouter.PathInput]

/** The routes the contract serves: its middleware guards them, or they are open; and its docs. */
const ownRoutes: ReadonlyArray<Route> = [
  ...Object.values(Api.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint): Route => [endpoint.method, endpoint.path])
  ),
  ["GET", "/openapi.json"],
  ["GET", "/docs"]
]

/**
 * `METHOD /path` of each of the contract's routes, for the router-level auth check to leave alone.
 * (A route with path parameters is not matched here: the router checks it too, which only an open
 * one would notice.)
 */
export const contractRoutes: ReadonlySet<string> = new Set(ownRoutes.map(([method, path]) => `${method} ${path}`))

/**
 * What the router-level auth check leaves alone: the contract's routes (guarded by its own
 * middleware, or open) and the console's pages (open: they carry no data).
 */
export const routerAuthSkips = (method: string, path: string): boolean =>
  contractRoutes.has(`${method} ${path}`) || isConsolePage(method, path)

const ApiRoutes = HttpApiBuilder.layer(Api, { openapiPath: "/openapi.json" }).pipe(Layer.provide(ApiHandlers))

/**
 * Another method on a known path is a 405 naming the right ones: effect's router alone would
 * answer 404, as for a path that does not exist. (/mcp answers its own 405s.)
 */
const methodNotAllowed = Layer.effectDiscard(Effect.gen(function*() {
  const router = yield* HttpRouter.HttpRouter
  const allowed = new Map<HttpRouter.PathInput, Array<string>>()
  const consoleRoutes = consoleRoutePaths.map((path): Route => ["GET", path])
  for (const [method, path] of [...ownRoutes, ...consoleRoutes, ["POST", "/rpc"] as const]) {
    allowed.set(path, [...(allowed.get(path) ?? []), method])
  }
  for (const [path, methods] of allowed) {
    for (const other of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const) {
      if (!methods.includes(other)) {
        const refusal = HttpServerResponse.empty({ status: 405, headers: { allow: methods.join(", ") } })
        yield* router.add(other, path, refusal)
      }
    }
  }
}))

export const routes = Layer.mergeAll(ApiRoutes, DocsRoute, McpHttpRoutes, RpcRoutes, ConsoleRoutes, methodNotAllowed)
