/**
 * A question aimed at a base the server allows but does not trust (API_BASE_OVERRIDE=any, another
 * origin) sees none of the upstream's words, yet its failures are handled as at the configured
 * base: the reason is classified from the raw body before the message is redacted (issue 24's
 * reproduced case: a refused `logprobs` failed after one attempt).
 */
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const elsewhere = Effect.map(FakeUpstream, (upstream) => `${upstream.url.replace("127.0.0.1", "localhost")}/openai/v1`)

layer(TestServer.layer({ API_BASE_OVERRIDE: "any" }), { excludeTestServices: true, timeout: "60 seconds" })("a base outside the trusted ones", (it) => {
  it.effect("a refused logprobs is asked again without them and succeeds in 2 attempts", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("refuses logprobs", { rejectLogprobs: true, text: "yes" })
      const item = yield* askOne({ question: "refuses logprobs?", model: "openai/gpt-4o-mini", api_base: yield* elsewhere })
      expect(item).toMatchObject({ status: "success", result: "yes", attempts: 2 })
      const [refused, plain] = upstream.callsFor("refuses logprobs")
      expect(refused!.body.logprobs).toBe(true)
      expect(plain!.body).not.toHaveProperty("logprobs")
      // Called without the server's key: the base is not trusted.
      expect(refused!.headers.authorization).toBeUndefined()
    }))

  it.effect("a refused response_format is dropped and the answer still validates", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const refusal = { error: { message: "response_format is not supported", type: "invalid_request_error", param: null } }
      upstream.script("format refused", { status: 400, raw: JSON.stringify(refusal) }, {
        text: '{"answer": true, "reason": "It is."}'
      })
      const item = yield* askOne({
        question: "format refused?",
        model: "openai/gpt-4o-mini",
        api_base: yield* elsewhere,
        response_model: "yes_no"
      })
      expect(item).toMatchObject({ status: "success", result: { answer: true }, attempts: 2, retry_count: 0 })
      expect(upstream.callsFor("format refused")[1]!.body).not.toHaveProperty("response_format")
    }))

  it.effect("a prompt over the context window falls back to the next model, the details stay hidden", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const tooLong = {
        error: {
          message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded"
        }
      }
      upstream.script("too long", { status: 400, raw: JSON.stringify(tooLong) }, { text: "from the fallback" })
      const item = yield* askOne({
        question: "too long?",
        model: "openai/small-model",
        fallbacks: ["openai/large-model"],
        api_base: yield* elsewhere
      })
      expect(item).toMatchObject({ status: "success", result: "from the fallback", model: "openai/large-model" })
      expect(upstream.callsFor("too long").map((call) => call.body.model)).toEqual(["small-model", "large-model"])
    }))

  it.effect("other failures are the question's own, and their message does not show the upstream's words", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const secret = { error: { message: "internal detail 10.0.0.7", type: "invalid_request_error", param: "max_tokens" } }
      upstream.always("bad request", { status: 400, raw: JSON.stringify(secret) })
      const item = yield* askOne({ question: "bad request?", model: "openai/gpt-4o-mini", api_base: yield* elsewhere })
      expect(item).toMatchObject({ status: "error", attempts: 1 })
      expect(item.error_message).toContain("are not shown")
      expect(item.error_message).not.toContain("10.0.0.7")
    }))
})
