import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { InternalAddressError, publicOnly } from "../../src/llm/addressGuard.ts"
import { makeSdkFetch } from "../../src/llm/fetch.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"

const maxResponseBytes = 1024 * 1024

const post = (fetch: ReturnType<typeof makeSdkFetch>, url: string) =>
  Effect.promise(() =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hello" }] })
    }).then((response) => response.status, (error: unknown) => error)
  )

describe("sdkFetch with an address guard", () => {
  it.live("refuses a name that DNS answers with a loopback address, sending nothing", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // A resolver under an attacker's control: a public-looking name, rebound to loopback.
      const guard = publicOnly(() => Promise.resolve([{ address: "127.0.0.1", family: 4 }]))
      const guarded = makeSdkFetch({ maxResponseBytes, guard })
      const outcome = yield* post(guarded, `http://rebind.example:${new URL(upstream.url).port}/v1/chat/completions`)
      expect(outcome).toBeInstanceOf(InternalAddressError)
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(FakeUpstream.layer)))

  it.live("an abort ends a call still waiting for its connection (the SDK's timeout while a name resolves)", () =>
    Effect.gen(function*() {
      // A resolver that never answers: the request never gets a socket.
      const guard = publicOnly(() => new Promise(() => {}))
      const guarded = makeSdkFetch({ maxResponseBytes, guard })
      const controller = new AbortController()
      const reason = new Error("the SDK's timeout")
      const outcome = Effect.promise(() =>
        guarded("http://never-resolves.example/v1/chat/completions", {
          method: "POST",
          body: "{}",
          signal: controller.signal
        }).then(() => "answered", (error: unknown) => error)
      )
      const [result] = yield* Effect.all([outcome, Effect.sync(() => controller.abort(reason))], { concurrency: "unbounded" })
      expect(result).toBe(reason)
    }))

  it.live("never reuses a keep-alive socket opened for a trusted target", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const url = `http://localhost:${new URL(upstream.url).port}/v1/chat/completions`
      expect(yield* post(makeSdkFetch({ maxResponseBytes }), url)).toBe(200)
      const outcome = yield* post(makeSdkFetch({ maxResponseBytes, guard: publicOnly() }), url)
      expect(outcome).toBeInstanceOf(InternalAddressError)
      expect(upstream.requests).toHaveLength(1)
    }).pipe(Effect.provide(FakeUpstream.layer)))
})
