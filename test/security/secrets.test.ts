import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { scrubSecrets } from "../../src/config/secrets.ts"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { startService } from "../support/service.ts"
import { fakeEnvironment, TestServer } from "../support/TestServer.ts"

const openAiKey = "sk-live-0123456789abcdefSECRET"
const groqKey = "plain-groq-secret-value-42"
const callerKey = "caller-key-777-secret"

describe("secrets", () => {
  it("scrubs configured values and key-shaped strings", () => {
    expect(scrubSecrets(`bad key ${groqKey}!`, [groqKey])).toBe("bad key [redacted]!")
    expect(scrubSecrets("Incorrect API key provided: sk-proj-abcdefghijkl", [])).toBe(
      "Incorrect API key provided: [redacted]"
    )
    expect(scrubSecrets("Authorization: Bearer abcdefghijklmnop", [])).toBe("Authorization: [redacted]")
  })

  it.live("appear nowhere in logs, responses or /health when upstream calls fail and echo them", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const echo = (key: string) => JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } })
      upstream.always("openai question", { status: 401, raw: echo(openAiKey) })
      upstream.always("groq question", { status: 500, raw: echo(groqKey) })
      const service = yield* startService({
        ...fakeEnvironment(upstream.url),
        OPENAI_API_KEY: openAiKey,
        GROQ_API_KEY: groqKey,
        API_KEYS: callerKey,
        LOG_LEVEL: "All",
        LLM_MAX_RETRIES: "1"
      })
      const response = yield* Effect.promise(() =>
        fetch(`${service.url}/ask`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${callerKey}` },
          body: JSON.stringify({
            questions: [
              { index: 1, question: "openai question" },
              { index: 2, question: "groq question", model: "groq/llama" },
              { index: 3, question: "missing key", model: "xai/grok" }
            ]
          })
        }).then((r) => r.text())
      )
      const health = yield* Effect.promise(() => fetch(`${service.url}/health`).then((r) => r.text()))
      // The keys did reach the upstream, so the test would see them if anything echoed them.
      expect(upstream.requests.some((r) => r.headers.authorization === `Bearer ${openAiKey}`)).toBe(true)
      expect(response).toContain("HTTP 401")
      expect(response).toContain("[redacted]")
      for (const text of [response, health, service.output()]) {
        for (const secret of [openAiKey, groqKey, callerKey, "test-key-xai"]) expect(text).not.toContain(secret)
      }
    }).pipe(Effect.provide(FakeUpstream.layer)))

  it.live("are scrubbed from successful answers, cached ones included, while key-shaped words stay", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      upstream.always("echo", {
        text: `sent with ${openAiKey}, asked by ${callerKey}; join on pk_orders_customer_id`
      })
      const ask = server.post("/ask", { questions: [{ index: 1, question: "echo the key" }] }, {
        headers: { "content-type": "application/json", authorization: `Bearer ${callerKey}` }
      })
      const first = yield* ask
      const again = yield* ask
      const results = [first, again].map((answer) => (answer.body as BatchResponse).results[0]!)
      expect(results.map((item) => item.cached)).toEqual([false, true])
      for (const item of results) {
        expect(item.result).toBe("sent with [redacted], asked by [redacted]; join on pk_orders_customer_id")
      }
    }).pipe(Effect.provide(TestServer.layer({ OPENAI_API_KEY: openAiKey, API_KEYS: callerKey }))))
})
