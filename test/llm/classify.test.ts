/**
 * Each protocol's `classify` turns recorded error bodies into the reason retries, refusal
 * retries, fallbacks and metrics switch on — as a pure function, and through the real client and
 * SDKs against the fake upstream, where a base outside the trusted ones gets the same reason while
 * its message keeps the upstream's words hidden.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import type { UpstreamError } from "../../src/domain/Errors.ts"
import type { ProviderName } from "../../src/domain/providers.ts"
import { adapters } from "../../src/llm/adapters.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { llmClientOnFakeWith } from "../support/LlmClientOnFake.ts"
import { anthropicErrors, openAiErrors, type RecordedError } from "./errorBodies.ts"

const protocols = [
  { protocol: "openai", provider: "openai", recorded: openAiErrors, path: "/openai/v1" },
  { protocol: "anthropic", provider: "anthropic", recorded: anthropicErrors, path: "" }
] as const

const reasonOf = (error: UpstreamError) => ({ reason: error.reason, parameter: error.parameter })

describe("classify: recorded error bodies", () => {
  for (const { protocol, recorded } of protocols) {
    for (const error of recorded) {
      it(`${protocol}: ${error.name} (HTTP ${error.status}) is ${error.expected.reason}`, () => {
        const classified = adapters[protocol].classify(error.status, error.body)
        expect({ reason: classified.reason, parameter: classified.parameter })
          .toEqual({ reason: error.expected.reason, parameter: error.expected.parameter })
      })
    }
  }
})

// No transport retries, so a transient failure comes back after its one attempt.
layer(llmClientOnFakeWith({ LLM_MAX_RETRIES: "0", API_BASE_OVERRIDE: "any" }), { excludeTestServices: true })("classify: through the SDKs", (it) => {
  /** Fails one call with `error`'s status and body, at the configured base or at `apiBase`. */
  const failWith = (provider: ProviderName, error: RecordedError, prompt: string, apiBase?: string) =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script(prompt, {
        status: error.status,
        raw: typeof error.body === "string" ? error.body : JSON.stringify(error.body)
      })
      const llm = yield* LlmClient
      return yield* llm.complete({
        model: { provider, name: provider === "openai" ? "gpt-4o-mini" : "claude-haiku-4-5" },
        messages: [{ role: "user", content: prompt }],
        temperature: 0,
        maxTokens: 16,
        cache: false,
        ...(apiBase === undefined ? {} : { apiBase })
      }).pipe(Effect.flip)
    })

  for (const { path, protocol, provider, recorded } of protocols) {
    it.effect(`${protocol}: every recorded body gets its reason, from a trusted base and from another one`, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        // The same fake under another origin: allowed (API_BASE_OVERRIDE=any) but not trusted.
        const elsewhere = `${upstream.url.replace("127.0.0.1", "localhost")}${path}`
        for (const [i, error] of recorded.entries()) {
          const trusted = yield* failWith(provider, error, `${protocol} trusted ${i}`)
          const untrusted = yield* failWith(provider, error, `${protocol} untrusted ${i}`, elsewhere)
          expect(trusted._tag, error.name).toBe("UpstreamError")
          expect(untrusted._tag, error.name).toBe("UpstreamError")
          if (trusted._tag !== "UpstreamError" || untrusted._tag !== "UpstreamError") continue
          const expected = { reason: error.expected.reason, parameter: error.expected.parameter }
          expect(reasonOf(trusted), error.name).toEqual(expected)
          expect(reasonOf(untrusted), error.name).toEqual(expected)
          expect(untrusted.message, error.name).toContain("are not shown")
          expect(trusted.status).toBe(error.status)
        }
      }))
  }
})
