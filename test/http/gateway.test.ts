/**
 * Fallbacks, cost and budgets end to end: POST /ask and POST /batches on the real server against
 * the fake upstream, whose error bodies are the providers' own wire formats.
 */
import { describe, expect, it } from "@effect/vitest"
import { calcPrice } from "@pydantic/genai-prices"
import { Effect } from "effect"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { submitJob, waitForJob } from "../support/jobs.ts"
import { TestServer } from "../support/TestServer.ts"

/** The fake's fixed usage: OpenAI answers 10 + 5 tokens, Anthropic 12 + 6. */
const price = (providerId: string, model: string, input: number, output: number) =>
  calcPrice({ input_tokens: input, output_tokens: output }, model, { providerId })!.total_price
const miniCall = price("openai", "gpt-4o-mini", 10, 5)
const haikuCall = price("anthropic", "claude-haiku-4-5", 12, 6)

const openAiContextError = {
  error: {
    message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 " +
      "tokens. Please reduce the length of the messages.",
    type: "invalid_request_error",
    param: "messages",
    code: "context_length_exceeded"
  }
}
const anthropicContextError = {
  type: "error",
  error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" }
}

const modelsCalled = (upstream: { readonly requests: ReadonlyArray<{ readonly body: Record<string, unknown> }> }) =>
  upstream.requests.map((request) => request.body["model"])

describe("fallbacks over HTTP", () => {
  it.live("a model failing with 503 gives way to the fallback once its retries run out; the fallback gets its own", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("busy", { status: 503 })
      const response = yield* askBatch({
        questions: [{ index: 1, question: "busy day", model: "openai/gpt-4o", fallbacks: ["openai/gpt-4o-mini"] }]
      })
      expect(response.results[0]).toMatchObject({
        status: "error",
        models_tried: ["openai/gpt-4o", "openai/gpt-4o-mini"],
        attempts: 4
      })
      expect(modelsCalled(upstream)).toEqual(["gpt-4o", "gpt-4o", "gpt-4o-mini", "gpt-4o-mini"])
    }).pipe(Effect.provide(TestServer.layer({ LLM_MAX_RETRIES: "1" }))))

  it.live("a 503 on the first model then an answer from the fallback: success, with the path and the cost of the answer", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("busy", { status: 503 }, { status: 503 })
      const response = yield* askBatch({
        questions: [{ index: 1, question: "busy day", model: "openai/gpt-4o", fallbacks: ["anthropic/claude-haiku-4-5"] }]
      })
      expect(response.results[0]).toMatchObject({
        status: "success",
        model: "anthropic/claude-haiku-4-5",
        models_tried: ["openai/gpt-4o", "anthropic/claude-haiku-4-5"],
        attempts: 3,
        usage: { prompt_tokens: 12, completion_tokens: 6 }
      })
      expect(response.results[0]!.cost_usd).toBeCloseTo(haikuCall, 12)
    }).pipe(Effect.provide(TestServer.layer({ LLM_MAX_RETRIES: "1" }))))

  it.live("OpenAI's and Anthropic's context-length errors fall back at once, without a retry", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("long openai", { status: 400, json: openAiContextError })
      upstream.script("long anthropic", { status: 400, json: anthropicContextError })
      const response = yield* askBatch({
        questions: [
          { index: 1, question: "long openai", model: "openai/gpt-4o-mini", fallbacks: ["anthropic/claude-haiku-4-5"] },
          { index: 2, question: "long anthropic", model: "anthropic/claude-haiku-4-5", fallbacks: ["openai/gpt-4.1"] }
        ]
      })
      expect(response.results.map((result) => [result.status, result.model, result.attempts])).toEqual([
        ["success", "anthropic/claude-haiku-4-5", 2],
        ["success", "openai/gpt-4.1", 2]
      ])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("another 400 does not fall back", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("bad", { status: 400 })
      const response = yield* askBatch({
        questions: [{ index: 1, question: "bad request", fallbacks: ["anthropic/claude-haiku-4-5"] }]
      })
      expect(response.results[0]).toMatchObject({ status: "error", models_tried: ["openai/gpt-4o-mini"], attempts: 1 })
      expect(upstream.requests).toHaveLength(1)
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("cost and budgets over HTTP", () => {
  it.live("prices each question from the price table and totals the batch in summary", () =>
    Effect.gen(function*() {
      const response = yield* askBatch({
        questions: [
          { index: 1, question: "one", model: "openai/gpt-4o-mini" },
          { index: 2, question: "two", model: "anthropic/claude-haiku-4-5" }
        ]
      })
      expect(response.results[0]!.cost_usd).toBeCloseTo(miniCall, 12)
      expect(response.results[1]!.cost_usd).toBeCloseTo(haikuCall, 12)
      expect(response.summary).toMatchObject({
        succeeded: 2,
        failed: 0,
        usage: { prompt_tokens: 22, completion_tokens: 11 }
      })
      expect(response.summary.cost_usd).toBeCloseTo(miniCall + haikuCall, 12)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("max_cost_usd: questions past the budget are not sent and end as budget exceeded", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const questions = Array.from({ length: 5 }, (_, i) => ({ index: i + 1, question: `question ${i + 1}` }))
      const response = yield* askBatch({ questions, max_cost_usd: miniCall * 1.5 })
      expect(upstream.requests.map((request) => request.prompt)).toEqual(["question 1", "question 2"])
      expect(response.results.map((result) => result.status)).toEqual(["success", "success", "error", "error", "error"])
      expect(response.results[4]!.error_message).toContain("budget exceeded")
      expect(response.summary.cost_usd).toBeCloseTo(2 * miniCall, 12)
    }).pipe(Effect.provide(TestServer.layer({ BATCH_CONCURRENCY: "1" }))))

  it.live("max_cost_usd with a model of unknown price is a 400 naming it and MODEL_PRICES", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", model: "ollama/llama3.2" }],
        max_cost_usd: 1
      })
      expect(answer.status).toBe(400)
      expect(answer.text).toContain("ollama/llama3.2 has none in the price table")
      expect(answer.text).toContain("MODEL_PRICES")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a job's cost_usd is the sum of its results' costs, and its max_cost_usd stops it sending", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const questions = [
        { index: 1, question: "job one", model: "openai/gpt-4o-mini" },
        { index: 2, question: "job two", model: "anthropic/claude-haiku-4-5" }
      ]
      const job = yield* waitForJob((yield* submitJob({ questions })).id)
      expect(job.cost_usd).toBeCloseTo(miniCall + haikuCall, 12)
      const budgeted = yield* submitJob({
        questions: Array.from({ length: 4 }, (_, i) => ({ index: i + 1, question: `budgeted ${i + 1}` })),
        max_cost_usd: miniCall * 1.5
      })
      const ended = yield* waitForJob(budgeted.id)
      expect(upstream.callsFor("budgeted")).toHaveLength(2)
      expect(ended.counts).toMatchObject({ succeeded: 2, failed: 2 })
      expect(ended.cost_usd).toBeCloseTo(2 * miniCall, 12)
    }).pipe(Effect.provide(TestServer.layer({ BATCH_CONCURRENCY: "1", JOB_CHUNK_CONCURRENCY: "1" }))))
})
