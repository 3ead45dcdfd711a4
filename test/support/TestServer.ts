/**
 * The real llm-batch HTTP server on a free loopback port, configured to send every provider's
 * calls to the fake upstream. Each test that provides the layer gets a fresh pair.
 */
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import { AppLayer } from "../../src/app.ts"
import { providerNames, providers } from "../../src/domain/providers.ts"
import { scratchDataDir } from "./dataDir.ts"
import { FakeUpstream } from "./FakeUpstream.ts"

export interface HttpAnswer {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
  readonly text: string
}

export interface TestServerShape {
  readonly url: string
  /** POSTs a JSON value (or a raw string) and reads the JSON answer. */
  readonly post: (path: string, body: unknown, init?: RequestInit) => Effect.Effect<HttpAnswer>
  readonly get: (path: string) => Effect.Effect<HttpAnswer>
}

/** Every provider points at the fake (under /<provider>) with a key named after it. */
export const fakeEnvironment = (upstreamUrl: string): Record<string, string> => {
  const env: Record<string, string> = {
    PORT: "0",
    LLM_RETRY_BASE_DELAY_MS: "5",
    OPENAI_BASE_URL: `${upstreamUrl}/openai/v1`,
    ANTHROPIC_BASE_URL: upstreamUrl
  }
  for (const name of providerNames) {
    const spec = providers[name]
    if (name !== "openai" && name !== "anthropic") env[spec.baseUrlVariables[0]!] = `${upstreamUrl}/${name}`
    const keyVariable = spec.keyVariables[0]
    if (keyVariable !== undefined) env[keyVariable] = `test-key-${name}`
  }
  return env
}

const request = (url: string, init: RequestInit) =>
  Effect.promise(async (): Promise<HttpAnswer> => {
    const response = await fetch(url, init)
    const text = await response.text()
    let body: unknown = undefined
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    return { status: response.status, headers: response.headers, body, text }
  })

export class TestServer extends Context.Service<TestServer, TestServerShape>()("test/TestServer") {
  /** `env` overrides the fake environment; a value of "" removes the variable. */
  static readonly layer = (env: Record<string, string> = {}) =>
    TestServer.layerOn(env).pipe(Layer.provideMerge(FakeUpstream.layer))

  /**
   * A server on the caller's `FakeUpstream`: providing it twice in one test is a restart of the
   * service against the same upstream (same base URL, so the same cache keys).
   */
  static readonly layerOn = (env: Record<string, string> = {}) =>
    Layer.unwrap(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Its own job store unless the test shares one (a restart on the same DATA_DIR).
      const dataDir = env.DATA_DIR ?? (yield* scratchDataDir)
      const merged = Object.fromEntries(
        Object.entries({ LOG_LEVEL: "Warn", DATA_DIR: dataDir, ...fakeEnvironment(upstream.url), ...env })
          .filter(([, value]) => value !== "")
      )
      const app = AppLayer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: merged }))))
      const server = Layer.effect(
        TestServer,
        Effect.gen(function*() {
          const http = yield* HttpServer.HttpServer
          const address = http.address
          const url = address._tag === "UnixPathAddress" ? "http://unix" : `http://127.0.0.1:${address.port}`
          return TestServer.of({
            url,
            post: (path, body, init = {}) =>
              request(`${url}${path}`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: typeof body === "string" ? body : JSON.stringify(body),
                ...init
              }),
            get: (path) => request(`${url}${path}`, { method: "GET" })
          })
        })
      )
      return server.pipe(Layer.provide(app))
    }))
}
