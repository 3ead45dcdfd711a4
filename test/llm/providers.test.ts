import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { AppConfig } from "../../src/config/AppConfig.ts"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { baseUrlFor } from "../../src/llm/providers.ts"
import { askOne } from "../support/ask.ts"
import { FakeUpstream, startFakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

describe("the base URL of a call", () => {
  it.effect("is the question's api_base or the configured base, with Ollama's /v1 and no trailing slash", () =>
    Effect.gen(function*() {
      const config = yield* AppConfig
      const to = (provider: "openai" | "anthropic" | "ollama", apiBase?: string) =>
        baseUrlFor(config, { model: { provider, name: "m" }, apiBase })
      expect(to("openai")).toBe("https://proxy.example/v1")
      expect(to("anthropic")).toBe("https://api.anthropic.com")
      expect(to("ollama")).toBe("http://ollama:11434/v1")
      expect(to("ollama", "http://gpu-box:11434/v1/")).toBe("http://gpu-box:11434/v1")
      expect(to("anthropic", "https://gateway.example/")).toBe("https://gateway.example")
    }).pipe(
      Effect.provide(AppConfig.layer),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({
        env: { OPENAI_BASE_URL: "https://proxy.example/v1/", OLLAMA_API_BASE: "http://ollama:11434/" }
      })))
    ))
})

describe("provider routing", () => {
  it.live("sends an OpenAI-compatible provider to its base URL with its key as a bearer token", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const result = yield* askOne({ question: "hi groq", model: "groq/llama-3.1-8b-instant" })
      expect(result).toMatchObject({ status: "success", model: "groq/llama-3.1-8b-instant" })
      const call = upstream.requests[0]!
      expect(call.path).toBe("/groq/chat/completions")
      expect(call.headers.authorization).toBe("Bearer test-key-groq")
      expect(call.body.model).toBe("llama-3.1-8b-instant")
    }).pipe(Effect.provide(TestServer.layer())))

  // @anthropic-ai/sdk 1.x sends the API key as a bearer token (0.x used x-api-key).
  it.live("sends anthropic/* through the Messages API with its key and the system prompt apart", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const result = yield* askOne({ question: "hi claude", model: "anthropic/claude-sonnet-4-5", system: "terse" })
      expect(result).toMatchObject({
        status: "success",
        result: "answer to: hi claude",
        usage: { prompt_tokens: 12, completion_tokens: 6 }
      })
      const call = upstream.requests[0]!
      expect(call.path).toBe("/v1/messages")
      expect(call.headers.authorization).toBe("Bearer test-key-anthropic")
      expect(call.body).toMatchObject({ model: "claude-sonnet-4-5", system: "terse", max_tokens: 1000 })
      expect(call.body.messages).toEqual([{ role: "user", content: "hi claude" }])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("appends /v1 to the Ollama base and needs no key", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const result = yield* askOne({ question: "hi llama", model: "ollama/llama3.2" })
      expect(result.status).toBe("success")
      expect(upstream.requests[0]!.path).toBe("/ollama/v1/chat/completions")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("keeps the provider key from an api_base that is not allow-listed", () =>
    Effect.gen(function*() {
      const stranger = yield* startFakeUpstream
      const upstream = yield* FakeUpstream
      const result = yield* askOne({ question: "to a stranger", api_base: `${stranger.url}/v1` })
      expect(result.status).toBe("success")
      expect(upstream.requests).toHaveLength(0)
      expect(stranger.requests[0]!.path).toBe("/v1/chat/completions")
      expect(stranger.requests[0]!.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "any" }))))

  it.live("keeps the Anthropic key from an api_base that is not allow-listed", () =>
    Effect.gen(function*() {
      const stranger = yield* startFakeUpstream
      const result = yield* askOne({ question: "claude elsewhere", model: "claude-x", api_base: stranger.url })
      expect(result.status).toBe("success")
      const headers = stranger.requests[0]!.headers
      expect(headers.authorization).toBeUndefined()
      expect(headers["x-api-key"]).toBeUndefined()
    }).pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "any" }))))

  it.live("gives an allow-listed api_base the provider key", () =>
    Effect.gen(function*() {
      const proxy = yield* startFakeUpstream
      const result = yield* askOne({ question: "via proxy", api_base: `${proxy.url}/v1` }).pipe(
        Effect.provide(TestServer.layer({ ALLOWED_API_BASES: `${proxy.url}/` }))
      )
      expect(result.status).toBe("success")
      expect(proxy.requests[0]!.headers.authorization).toBe("Bearer test-key-openai")
    }))

  it.live("fails only the question whose provider key is missing, naming the variable", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", {
        questions: [
          { index: 1, question: "needs mistral", model: "mistral/mistral-small" },
          { index: 2, question: "fine" }
        ]
      })
      expect(answer.status).toBe(200)
      const [first, second] = (answer.body as BatchResponse).results
      expect(first).toMatchObject({ status: "error", attempts: 0, model: "mistral/mistral-small" })
      expect(first!.error_message).toContain("MISTRAL_API_KEY")
      expect(second!.status).toBe("success")
    }).pipe(Effect.provide(TestServer.layer({ MISTRAL_API_KEY: "", MISTRAL_API_BASE: "" }))))

  it.live("calls a provider whose base URL is a local server without a key, instead of asking for one", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const result = yield* askOne({ question: "local vllm", model: "openai/my-local-model" })
      expect(result.status).toBe("success")
      expect(upstream.requests[0]!.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(TestServer.layer({ OPENAI_API_KEY: "" }))))

  it.live("fails a question whose model names no known provider, listing them", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const result = yield* askOne({ question: "who?", model: "mystery/model-1" })
      expect(result.status).toBe("error")
      expect(result.error_message).toContain("openai, anthropic")
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("uses DEFAULT_MODEL when a question names none", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const result = yield* askOne({ question: "default?" })
      expect(result.model).toBe("deepseek/deepseek-chat")
      expect(upstream.requests[0]!.path).toBe("/deepseek/chat/completions")
    }).pipe(Effect.provide(TestServer.layer({ DEFAULT_MODEL: "deepseek/deepseek-chat" }))))
})
