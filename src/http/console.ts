/**
 * The web console (repo_docs/contract.md, *Console*): `GET /` is its page, `GET /console/*` its
 * files, as Vite built them from web/ (`pnpm build` → dist/console). They carry no data — the page
 * calls the API with the key its user types in — so they are open even with API_KEYS
 * (`isConsolePage`), and they are not part of the HttpApi contract: they answer HTML and scripts,
 * not JSON.
 */
import { Effect, FileSystem, Layer, Option, Path } from "effect"
import {
  type HttpPlatform,
  HttpRouter,
  HttpServerRequest,
  HttpServerRespondable,
  HttpServerResponse,
  HttpStaticServer
} from "effect/http"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { AppConfig } from "../config/AppConfig.ts"

/**
 * Where a built console may be, first found wins: CONSOLE_DIR alone when it is set; else `console/`
 * beside this module, which in the bundle is dist/main.js's (or dist/cli.js's) directory; else,
 * when running from src/, the checkout's dist/console.
 */
export const consoleDirectories = (configured: Option.Option<string>): ReadonlyArray<string> => {
  if (Option.isSome(configured)) return [configured.value]
  const beside = fileURLToPath(new URL("./console/", import.meta.url))
  const fromSources = import.meta.url.endsWith("/src/http/console.ts")
  return fromSources ? [beside, fileURLToPath(new URL("../../dist/console/", import.meta.url))] : [beside]
}

/** The paths the console serves: open to everyone, like `GET /health`. */
export const isConsolePage = (method: string, path: string): boolean =>
  (method === "GET" || method === "HEAD") && (path === "/" || path === "/console" || path.startsWith("/console/"))

/** The routes, for the 405s on other methods (routes.ts). */
export const consoleRoutePaths = ["/", "/console/*"] as const

/**
 * The page loads only its own files and talks only to this service; it renders model answers, so
 * nothing else may run or be embedded. Styles may be inline (the graph library sets them).
 */
const securityHeaders = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}

/** The page itself is never cached (a new build must show at once); its hashed assets are forever. */
const noStore = "no-store"
const immutable = "public, max-age=31536000, immutable"
/** Other files (favicon, /console/index.html): kept, but revalidated against their ETag. */
const revalidate = "no-cache"

const notBuilt = (configured: boolean) =>
  HttpServerResponse.jsonUnsafe({
    error: configured
      ? "the console is not built: CONSOLE_DIR has no index.html; run pnpm build and point CONSOLE_DIR at the " +
        "dist/console it writes, or unset CONSOLE_DIR"
      : "the console is not built: run pnpm build (it writes dist/console beside dist/main.js), or set " +
        "CONSOLE_DIR to a built console"
  }, { status: 503 })

export const ConsoleRoutes = Layer.effectDiscard(Effect.gen(function*() {
  const config = yield* AppConfig
  const router = yield* HttpRouter.HttpRouter
  const fs = yield* FileSystem.FileSystem
  const services = yield* Effect.context<FileSystem.FileSystem | Path.Path | HttpPlatform.HttpPlatform>()
  const directories = consoleDirectories(config.consoleDir)

  /** Looked up per request: a console built after the service started is served without a restart. */
  const builtDirectory = Effect.gen(function*() {
    for (const directory of directories) {
      if (yield* fs.exists(join(directory, "index.html"))) return directory
    }
    return undefined
  })

  /** effect's static server does the rest: paths kept inside the root, content types, ETags, ranges. */
  const serve = (cacheControl: (path: string) => string) =>
    Effect.gen(function*() {
      const root = yield* builtDirectory
      if (root === undefined) return notBuilt(Option.isSome(config.consoleDir))
      const files = yield* HttpStaticServer.make({ root, index: "index.html" })
      // An unknown file (or a path that leaves the root) is the usual 404; any other failure is ours.
      const response = yield* files.pipe(Effect.catchIf(
        (error) => error.reason._tag === "RouteNotFound",
        HttpServerRespondable.toResponse
      ))
      const request = yield* HttpServerRequest.HttpServerRequest
      const headers = response.status < 400
        ? { ...securityHeaders, "cache-control": cacheControl(request.url) }
        : securityHeaders
      return HttpServerResponse.setHeaders(response, headers)
    }).pipe(Effect.provide(services))

  yield* router.add("GET", "/", serve(() => noStore))
  // Under the prefix the request's URL is the path inside /console: `/assets/index-….js`.
  const files = serve((path) => path.startsWith("/assets/") ? immutable : revalidate)
  yield* router.prefixed("/console").add("GET", "/*", files)
}))
