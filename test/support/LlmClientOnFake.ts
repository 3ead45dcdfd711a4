/** The real `LlmClient` on its own (no server, no plan check in front) against a fresh fake upstream. */
import { ConfigProvider, Effect, Layer } from "effect"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { RateLimits } from "../../src/gateway/rateLimits.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import { FakeUpstream } from "./FakeUpstream.ts"
import { fakeEnvironment } from "./TestServer.ts"

/** `env` is added to the fake environment. */
export const llmClientOnFakeWith = (env: Record<string, string>) =>
  Layer.unwrap(Effect.gen(function*() {
    const upstream = yield* FakeUpstream
    return LlmClient.layer.pipe(
      Layer.provide(RateLimits.layer),
      Layer.provide(AppConfig.layer),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { ...fakeEnvironment(upstream.url), ...env } })))
    )
  })).pipe(Layer.provideMerge(FakeUpstream.layer))

export const llmClientOnFake = llmClientOnFakeWith({})
