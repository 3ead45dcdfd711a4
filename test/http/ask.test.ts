import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askBatch as ask } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

describe("POST /ask", () => {
  it.live("runs the original example batch: a sequential chain embedding Q1 and a concurrent question", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const response = yield* ask({
        questions: [
          { index: 3, question: "What is 2 + 2?", method: "concurrent" },
          { index: 1, question: "What is the capital of France?", method: "sequential" },
          { index: 2, question: "What is the population of {Q1_result}?", method: "sequential" }
        ]
      })
      expect(response.results.map((r) => [r.index, r.status])).toEqual([[1, "success"], [2, "success"], [
        3,
        "success"
      ]])
      expect(response.results[0]!.result).toBe("Paris")
      expect(upstream.callsFor("population")[0]!.prompt).toBe("What is the population of Paris?")
      expect(response.results[1]!).toMatchObject({
        model: "openai/gpt-4o-mini",
        cached: false,
        attempts: 1,
        retry_count: 0,
        usage: { prompt_tokens: 10, completion_tokens: 5 }
      })
      expect(response.results[1]!.latency_ms).toBeGreaterThan(0)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("says how long the service took in a Server-Timing header", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 200 })
      const answer = yield* server.post("/ask", { questions: [{ index: 1, question: "slow one" }] })
      expect(answer.status).toBe(200)
      const timing = /^app;dur=(\d+\.\d)$/.exec(answer.headers.get("server-timing") ?? "")
      expect(timing, answer.headers.get("server-timing") ?? "no server-timing header").not.toBeNull()
      // It covers the upstream call (200 ms), and not more than the whole round trip can hold.
      expect(Number(timing![1])).toBeGreaterThanOrEqual(200)
      expect(Number(timing![1])).toBeLessThan(10_000)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("runs 50 independent questions in parallel", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 300 })
      const started = Date.now()
      const response = yield* ask({
        questions: Array.from({ length: 50 }, (_, i) => ({ index: i, question: `slow question ${i}` }))
      })
      const elapsed = Date.now() - started
      expect(response.results.every((r) => r.status === "success")).toBe(true)
      expect(upstream.peakInFlight).toBe(50)
      // Serially this would take 15 s; generous bound so a loaded CI machine does not flake.
      expect(elapsed).toBeLessThan(5_000)
      // One batch may hold every slot here (by default it holds at most 3/4 of them).
    }).pipe(Effect.provide(TestServer.layer({ BATCH_CONCURRENCY: "64" }))))

  // With BATCH_CONCURRENCY = LLM_CONCURRENCY the process limit binds; by default one batch holds 3/4 of it.
  for (const [name, env, peak] of [
    ["never lets more than LLM_CONCURRENCY calls be in flight", { LLM_CONCURRENCY: "4", BATCH_CONCURRENCY: "4" }, 4],
    ["never lets one batch hold more than BATCH_CONCURRENCY slots", { LLM_CONCURRENCY: "4" }, 3]
  ] as const) {
    it.live(name, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("q", { delayMs: 50 })
        const response = yield* ask({
          questions: Array.from({ length: 20 }, (_, i) => ({ index: i, question: `q ${i}` }))
        })
        expect(response.results.every((r) => r.status === "success")).toBe(true)
        expect(upstream.peakInFlight).toBe(peak)
      }).pipe(Effect.provide(TestServer.layer(env))))
  }

  it.live("never overlaps the calls of a sequential chain", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("step", { delayMs: 40 })
      const response = yield* ask({
        questions: Array.from({ length: 5 }, (_, i) => ({ index: i + 1, question: `step ${i + 1}`, method: "sequential" }))
      })
      expect(response.results.every((r) => r.status === "success")).toBe(true)
      expect(upstream.peakInFlight).toBe(1)
      expect(upstream.requests.map((r) => r.prompt)).toEqual(["step 1", "step 2", "step 3", "step 4", "step 5"])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("waits for a referenced concurrent question and substitutes its answer", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("first", { text: "alpha", delayMs: 100 })
      const response = yield* ask({
        questions: [
          { index: 1, question: "first" },
          { index: 2, question: "second uses {Q1_result} and {Q1_result}" }
        ]
      })
      expect(response.results[1]!.status).toBe("success")
      expect(upstream.callsFor("second")[0]!.prompt).toBe("second uses alpha and alpha")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("sends a system prompt and the sampling parameters through", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      yield* ask({
        questions: [{
          index: 1,
          question: "hello",
          system: "be brief",
          temperature: 0.7,
          max_tokens: 50,
          top_p: 0.9,
          stop: "END",
          seed: 7
        }]
      })
      const body = upstream.requests[0]!.body
      expect(body).toMatchObject({
        model: "gpt-4o-mini",
        temperature: 0.7,
        max_tokens: 50,
        top_p: 0.9,
        stop: ["END"],
        seed: 7,
        messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }]
      })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("reports confidence from the provider's log-probabilities", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("sure?", { text: "yes", logprobs: [Math.log(0.5), Math.log(0.5)] })
      const response = yield* ask({ questions: [{ index: 1, question: "sure?" }] })
      expect(upstream.requests[0]!.body.logprobs).toBe(true)
      expect(response.results[0]!.confidence).toBeCloseTo(0.5, 6)
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("POST /ask: finish_reason", () => {
  it.live("says why an OpenAI answer ended: stop, or length when max_tokens cut it off", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("short", { text: "done" })
      upstream.always("long", { text: "Once upon a", finishReason: "length" })
      const response = yield* ask({
        questions: [{ index: 1, question: "short one" }, { index: 2, question: "long story", max_tokens: 3 }]
      })
      expect(response.results.map((r) => [r.status, r.finish_reason])).toEqual([["success", "stop"], ["success", "length"]])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("carries Anthropic's stop_reason: end_turn, or max_tokens when cut off", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("short", { text: "done" })
      upstream.always("long", { text: "Once upon a", finishReason: "max_tokens" })
      const model = "anthropic/claude-sonnet-4-5"
      const response = yield* ask({
        questions: [{ index: 1, question: "short one", model }, { index: 2, question: "long story", model, max_tokens: 3 }]
      })
      expect(response.results.map((r) => [r.status, r.finish_reason])).toEqual([["success", "end_turn"], [
        "success",
        "max_tokens"
      ]])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("is null for a question that got no answer, and the cached one's for a cached answer", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("broken", { status: 400 })
      upstream.always("long", { text: "Once upon a", finishReason: "length" })
      const first = yield* ask({
        questions: [
          { index: 1, question: "broken one" },
          { index: 2, question: "after {Q1_result}" },
          { index: 3, question: "long story" }
        ]
      })
      expect(first.results.map((r) => [r.status, r.finish_reason])).toEqual([["error", null], ["error", null], [
        "success",
        "length"
      ]])
      const again = yield* ask({ questions: [{ index: 1, question: "long story" }] })
      expect(again.results[0]).toMatchObject({ cached: true, attempts: 0, finish_reason: "length" })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a schema answer cut off at max_tokens that never validates says to raise max_tokens", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Every call, the repair included (its prompt is the correction, not the question).
      upstream.always("", { text: '{"name": "Ada", "bio": "Ada Lovelace was an English math', finishReason: "length" })
      const response = yield* ask({
        questions: [{
          index: 1,
          question: "Describe a person",
          max_tokens: 12,
          max_validation_retries: 1,
          response_schema: {
            type: "object",
            properties: { name: { type: "string" }, bio: { type: "string" } },
            required: ["name", "bio"]
          }
        }]
      })
      const item = response.results[0]!
      expect(item).toMatchObject({ status: "error", finish_reason: "length", retry_count: 1, attempts: 2 })
      expect(item.error_message).toContain("the answer was cut off at max_tokens (12): raise max_tokens")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("an answer that ended normally and never validates gives no max_tokens advice", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("person", { text: "Ada, a mathematician." })
      const item = (yield* ask({
        questions: [{
          index: 1,
          question: "Describe a person",
          max_validation_retries: 0,
          response_schema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] }
        }]
      })).results[0]!
      expect(item).toMatchObject({ status: "error", finish_reason: "stop" })
      expect(item.error_message).not.toContain("max_tokens")
    }).pipe(Effect.provide(TestServer.layer())))
})
