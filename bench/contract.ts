/**
 * `pnpm bench:contract`: what serving a route through the `HttpApi` contract costs per request,
 * against the same route added to the router by hand. Both answer a constant in process
 * (`HttpRouter.toWebHandler`, no sockets), with a bearer-security middleware and a raw handler as
 * `POST /ask` has, so the difference is the contract's own per-request work. Alternated twice.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSecurity
} from "effect/http-api"

class Caller extends Context.Service<Caller, string>()("bench/Caller") {}
class Auth extends HttpApiMiddleware.Service<Auth, { provides: Caller; requires: never }>()("bench/Auth", {
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const Api = HttpApi.make("bench").add(
  HttpApiGroup.make("batch").add(
    HttpApiEndpoint.post("ask", "/ask", {
      payload: Schema.Struct({ a: Schema.Number }),
      success: Schema.Struct({ ok: Schema.Boolean })
    })
  ).middleware(Auth)
)
const answer = Effect.sync(() => HttpServerResponse.jsonUnsafe({ ok: true }))
const contract = HttpApiBuilder.layer(Api).pipe(
  Layer.provide(HttpApiBuilder.group(Api, "batch", (handlers) => Effect.succeed(handlers.handleRaw("ask", () => answer)))),
  Layer.provide(Layer.succeed(Auth, Auth.of({ bearer: (handle) => Effect.provideService(handle, Caller, "") })))
)
const byHand = HttpRouter.add("POST", "/ask", answer)

type Routes = Layer.Layer<never, never, HttpRouter.HttpRouter | Layer.Success<typeof HttpServer.layerServices>>

const microsPerRequest = async (routes: Routes): Promise<number> => {
  const { handler, dispose } = HttpRouter.toWebHandler(routes.pipe(Layer.provide(HttpServer.layerServices)), {
    disableLogger: true
  })
  const request = () =>
    new Request("http://bench/ask", { method: "POST", body: "{\"a\":1}", headers: { "content-type": "application/json" } })
  for (let i = 0; i < 5_000; i++) await (await handler(request())).text()
  const n = 30_000
  const started = performance.now()
  for (let i = 0; i < n; i++) await (await handler(request())).text()
  await dispose()
  return ((performance.now() - started) * 1_000) / n
}

const results: Array<readonly [string, number]> = []
for (let round = 0; round < 2; round++) {
  results.push(["by hand", await microsPerRequest(byHand)])
  results.push(["HttpApi contract", await microsPerRequest(contract)])
}
for (const [name, micros] of results) console.log(`${name.padEnd(18)} ${micros.toFixed(1)} µs per request`)
