import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { UpstreamError } from "../../src/domain/Errors.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import type { ResolvedModel } from "../../src/domain/providers.ts"
import { askOne } from "../support/ask.ts"
import { FakeUpstream, startFakeUpstream } from "../support/FakeUpstream.ts"
import { llmClientOnFake } from "../support/LlmClientOnFake.ts"
import { TestServer } from "../support/TestServer.ts"

/** Internal hosts as a caller may spell them; `PORT` becomes the fake upstream's, so the old code reached it. */
const internalBases: ReadonlyArray<string> = [
  "http://127.1:PORT/v1",
  "http://2130706433:PORT/v1",
  "http://0x7f.1:PORT/v1",
  "http://0.0.0.0:PORT/v1",
  "http://[::1]:PORT/v1",
  "http://[::ffff:127.0.0.1]:PORT/v1",
  "http://localhost:PORT/v1",
  "http://localhost.:PORT/v1",
  "http://app.localhost:PORT/v1",
  "http://169.254.169.254/latest/meta-data",
  "http://10.0.0.1/v1",
  "http://192.168.0.1/v1",
  "http://[fd00:ec2::254]/v1",
  "http://[fe80::1]/v1"
]

const portOf = (url: string) => new URL(url).port

const askFor = (apiBase: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* server.post("/ask", { questions: [{ index: 1, question: "where to?", api_base: apiBase }] })
  })

describe("a per-question api_base by default (API_BASE_OVERRIDE=public)", () => {
  for (const spelling of internalBases) {
    it.live(`is refused before any connection when it is ${spelling}`, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const answer = yield* askFor(spelling.replace("PORT", portOf(upstream.url)))
        expect(answer.status).toBe(400)
        const { error } = answer.body as { error: string }
        expect(error).toContain("questions[0].api_base")
        expect(error).toContain("ALLOWED_API_BASES")
        expect(upstream.requests).toHaveLength(0)
      }).pipe(Effect.provide(TestServer.layer())))
  }

  it.live("is refused on the provider's own host when that host is internal and not allow-listed", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const answer = yield* askFor(`${upstream.url}/elsewhere/v1`)
      expect(answer.status).toBe(400)
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("is accepted on an allow-listed loopback origin, however it is spelled, and gets the key", () =>
    Effect.gen(function*() {
      const proxy = yield* startFakeUpstream
      const result = yield* askOne({ question: "via proxy", api_base: `http://2130706433:${portOf(proxy.url)}/v1` }).pipe(
        Effect.provide(TestServer.layer({ ALLOWED_API_BASES: proxy.url }))
      )
      expect(result.status).toBe("success")
      expect(proxy.requests[0]!.headers.authorization).toBe("Bearer test-key-openai")
    }))

  it.live("shows the error body of an allow-listed base", () =>
    Effect.gen(function*() {
      const proxy = yield* startFakeUpstream
      proxy.script("failing", { status: 400 })
      const result = yield* askOne({ question: "failing", api_base: `${proxy.url}/v1` }).pipe(
        Effect.provide(TestServer.layer({ ALLOWED_API_BASES: proxy.url }))
      )
      expect(result.error_message).toContain("fake error 400")
    }))

  it.live("still means public when set to the old value allow", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const answer = yield* askFor(`${upstream.url}/v1`)
      expect(answer.status).toBe(400)
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "allow" }))))
})

describe("a per-question api_base with API_BASE_OVERRIDE=any", () => {
  it.live("reaches a loopback address, without the key", () =>
    Effect.gen(function*() {
      const stranger = yield* startFakeUpstream
      const result = yield* askOne({ question: "anywhere", api_base: `${stranger.url}/v1` })
      expect(result.status).toBe("success")
      expect(stranger.requests[0]!.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "any" }))))

  it.live("never has its error body echoed, only the status", () =>
    Effect.gen(function*() {
      const stranger = yield* startFakeUpstream
      stranger.script("failing", { status: 400 })
      const result = yield* askOne({ question: "failing", api_base: `${stranger.url}/v1` })
      expect(result.status).toBe("error")
      expect(result.error_message).toContain("HTTP 400")
      expect(result.error_message).not.toContain("fake error")
    }).pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "any" }))))

  it.live("never has an unreadable body echoed", () =>
    Effect.gen(function*() {
      const stranger = yield* startFakeUpstream
      // A JSON parse error quotes the start of the body.
      stranger.script("page", { raw: "secret internal page" })
      const result = yield* askOne({ question: "page", api_base: `${stranger.url}/v1` })
      expect(result.status).toBe("error")
      expect(result.error_message).not.toContain("secret")
    }).pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "any", LLM_MAX_RETRIES: "0" }))))
})

/** The LlmClient on its own, with no plan check in front. */
const clientLayer = llmClientOnFake

const completeAt = (apiBase: string, model: ResolvedModel = { provider: "openai", name: "gpt-4o-mini" }) =>
  Effect.gen(function*() {
    const llm = yield* LlmClient
    return yield* llm.complete({
      model,
      messages: [{ role: "user", content: "rebound" }],
      temperature: 0,
      maxTokens: 10,
      apiBase
    }).pipe(Effect.flip)
  })

describe("the connect-time guard", () => {
  for (const model of [{ provider: "openai", name: "gpt-4o-mini" }, { provider: "anthropic", name: "claude-haiku-4-5" }] as const) {
    it.live(`refuses a name that resolves to an internal address for ${model.provider}, once, naming ALLOWED_API_BASES`, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const error = yield* completeAt(`http://localhost:${portOf(upstream.url)}/v1`, model)
        expect(error).toBeInstanceOf(UpstreamError)
        expect(error).toMatchObject({ reason: "blocked_address", attempts: 1 })
        expect(error.message).toContain("ALLOWED_API_BASES")
        expect(upstream.requests).toHaveLength(0)
      }).pipe(Effect.provide(clientLayer)))
  }

  it.live("refuses an internal IP literal that skipped the plan check", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const error = yield* completeAt(`http://[::ffff:127.0.0.1]:${portOf(upstream.url)}/v1`)
      expect(error.message).toContain("ALLOWED_API_BASES")
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(clientLayer)))

  it.live("still reaches the server's own configured internal base", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const llm = yield* LlmClient
      const result = yield* llm.complete({
        model: { provider: "ollama", name: "llama3.2" },
        messages: [{ role: "user", content: "local" }],
        temperature: 0,
        maxTokens: 10
      })
      expect(result.completion.text).toBe("answer to: local")
      expect(upstream.requests).toHaveLength(1)
    }).pipe(Effect.provide(clientLayer)))
})
