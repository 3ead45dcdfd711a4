/**
 * Cost and budgets in the engine, with a scripted LlmClient: each call is priced at its own
 * model's price from the package's table (or MODEL_PRICES), summed per question and per batch;
 * `max_cost_usd` stops sending once reached.
 */
import { describe, expect, it } from "@effect/vitest"
import { calcPrice } from "@pydantic/genai-prices"
import { Effect, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { runBatch } from "../../src/batch/engine.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { BatchRequest, BatchResponse } from "../../src/domain/Batch.ts"
import { loadPriceTable } from "../../src/gateway/prices.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import { LlmScript } from "../../src/llm/LlmScript.ts"
import { batchOf, engineLayer, finished, runScripted, testConfig, until } from "../support/engine.ts"

/** USD for `input` and `output` tokens at the package's published per-million prices of the model. */
const published = (providerId: string, model: string, input: number, output: number) => {
  const found = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId })
  const prices = found!.model_price
  return (input * Number(prices.input_mtok) + output * Number(prices.output_mtok)) / 1_000_000
}

const usage = { prompt_tokens: 1000, completion_tokens: 200 }

describe("cost", () => {
  it.effect("each question costs its calls at its model's price, repairs included; the summary adds them up", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
        .script("mini", { usage })
        .script("haiku", { usage, text: "not json" }, { usage, text: "{}" })
      const response = yield* runScripted(script, [
        { index: 1, question: "mini", model: "openai/gpt-4o-mini" },
        { index: 2, question: "haiku", model: "anthropic/claude-haiku-4-5", validation_strategy: "json" }
      ])
      const mini = published("openai", "gpt-4o-mini", 1000, 200)
      const haiku = 2 * published("anthropic", "claude-haiku-4-5", 1000, 200)
      expect(response.results[0]!.cost_usd).toBeCloseTo(mini, 12)
      expect(response.results[1]).toMatchObject({ retry_count: 1, usage: { prompt_tokens: 2000, completion_tokens: 400 } })
      expect(response.results[1]!.cost_usd).toBeCloseTo(haiku, 12)
      expect(response.summary).toMatchObject({
        succeeded: 2,
        failed: 0,
        usage: { prompt_tokens: 3000, completion_tokens: 600 }
      })
      expect(response.summary.cost_usd).toBeCloseTo(mini + haiku, 12)
    }))

  it.effect("a fallback's cost adds the calls of every model tried, each at its own price", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script("q", { usage, text: "not json" }, {
        fail: { status: 503, message: "openai answered HTTP 503", reason: "server_error" }
      }, { usage, text: "{}" })
      const response = yield* runScripted(script, [
        { index: 1, question: "q", validation_strategy: "json", fallbacks: ["anthropic/claude-haiku-4-5"] }
      ])
      expect(response.results[0]).toMatchObject({
        status: "success",
        models_tried: ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5"]
      })
      expect(response.results[0]!.cost_usd).toBeCloseTo(
        published("openai", "gpt-4o-mini", 1000, 200) + published("anthropic", "claude-haiku-4-5", 1000, 200),
        12
      )
    }))

  it.effect("MODEL_PRICES prices a model the table lacks and overrides one it has", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("q", { usage })
      const env = {
        MODEL_PRICES: JSON.stringify({
          "ollama/llama3.2": { input_per_mtok: 0, output_per_mtok: 0 },
          "gpt-4o-mini": { input_per_mtok: 1, output_per_mtok: 10 }
        })
      }
      const response = yield* runScripted(script, [
        { index: 1, question: "q1", model: "ollama/llama3.2" },
        { index: 2, question: "q2", model: "openai/gpt-4o-mini" }
      ], { env })
      expect(response.results.map((result) => result.cost_usd)).toEqual([0, (1000 * 1 + 200 * 10) / 1_000_000])
    }))

  it.effect("a model with no price costs null, and so does the batch; a cached or unsent question costs 0", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
        .script("unpriced", { usage })
        .script("root", { fail: { status: 400, message: "bad" } })
      const response = yield* runScripted(script, [
        { index: 1, question: "unpriced", model: "openai/my-fine-tune" },
        { index: 2, question: "root" },
        { index: 3, question: "after {Q2_result}" }
      ])
      expect(response.results.map((result) => result.cost_usd)).toEqual([null, 0, 0])
      expect(response.summary).toMatchObject({ succeeded: 1, failed: 2, cost_usd: null })
    }))

  it.effect("a cost that overflows is unknown (null): the question still answers and the batch encodes", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("q", { usage })
      // Refused at startup (MODEL_PRICES' maximum); a price from anywhere else must not fail the batch either.
      const absurd = Layer.effect(
        AppConfig,
        Effect.gen(function*() {
          const config = yield* AppConfig
          return { ...config, modelPrices: new Map([["openai/gpt-4o-mini", { input_per_mtok: 1e308, output_per_mtok: 1e308 }]]) }
        })
      ).pipe(Layer.provide(testConfig()))
      const response = yield* runBatch(batchOf([{ index: 1, question: "q" }])).pipe(
        Effect.provide(Layer.mergeAll(absurd, LlmClient.layerTest(script)))
      )
      expect(response.results[0]).toMatchObject({ status: "success", cost_usd: null })
      expect(response.summary.cost_usd).toBeNull()
      expect(() => Schema.encodeUnknownSync(BatchResponse)(response)).not.toThrow()
    }))

  it.effect("a call whose provider reports no usage has an unknown cost", () =>
    Effect.gen(function*() {
      const script = new LlmScript().script("q", { usage: null })
      const response = yield* runScripted(script, [{ index: 1, question: "q" }])
      expect(response.results[0]!.cost_usd).toBeNull()
    }))
})

describe("max_cost_usd", () => {
  it.effect("once the spent cost reaches the budget, questions not yet sent end as budget exceeded", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("q", { usage })
      const each = published("openai", "gpt-4o-mini", 1000, 200)
      const questions = Array.from({ length: 6 }, (_, i) => ({ index: i + 1, question: `q${i + 1}` }))
      // One question at a time: the budget is checked as each may be sent.
      const response = yield* runBudgeted(script, questions, each * 2.5, { BATCH_CONCURRENCY: "1" })
      expect(script.calls.map((call) => call.prompt)).toEqual(["q1", "q2", "q3"])
      expect(response.results.map((result) => result.status)).toEqual([
        ...["success", "success", "success"],
        ...["error", "error", "error"]
      ])
      expect(response.results[3]).toMatchObject({ attempts: 0, cost_usd: 0, usage: null })
      expect(response.results[3]!.error_message).toMatch(
        /^budget exceeded: the batch has spent \$0\.00\d+ of its max_cost_usd of \$0\.00\d+; this question was not sent$/
      )
      expect(response.summary).toMatchObject({ succeeded: 3, failed: 3 })
      expect(response.summary.cost_usd).toBeCloseTo(3 * each, 12)
    }))

  it.effect("repairs are charged as they answer: none is sent once the spent cost reaches the budget", () =>
    Effect.gen(function*() {
      const script = new LlmScript().always("q", { usage, text: "not json" })
      const each = published("openai", "gpt-4o-mini", 1000, 200)
      const response = yield* runBudgeted(script, [
        { index: 1, question: "q", validation_strategy: "json", max_validation_retries: 10 }
      ], each * 1.5)
      // The first call leaves the budget, the second (a repair) reaches it: no third call.
      expect(script.calls).toHaveLength(2)
      expect(response.results[0]).toMatchObject({ status: "error", retry_count: 1, attempts: 2 })
      expect(response.results[0]!.cost_usd).toBeCloseTo(2 * each, 12)
      expect(response.results[0]!.error_message).toMatch(
        /^no valid answer after 1 repair retry \(max_validation_retries\): answer: no JSON found; .*; the next repair was not sent: budget exceeded: the batch has spent \$0\.00\d+ of its max_cost_usd of \$0\.00\d+; the model's last answer is in last_response$/
      )
    }))

  it.effect("what a question in flight spent stops another's fallback and its own repairs", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
        .script("spender", { usage, text: "not json", delay: "1 second" }, { usage, text: "{}", delay: "10 seconds" })
        .script("failing", { fail: { status: 503, reason: "server_error" }, delay: "2 seconds" })
        .always("failing", { usage })
      const each = published("openai", "gpt-4o-mini", 1000, 200)
      yield* loadPriceTable // real time, which `until` does not wait for
      const fiber = yield* runBudgeted(script, [
        { index: 1, question: "spender", validation_strategy: "json" },
        { index: 2, question: "failing", fallbacks: ["anthropic/claude-haiku-4-5"] }
      ], each / 2).pipe(Effect.forkChild)
      yield* until(() => script.calls.length >= 2)
      yield* TestClock.adjust("20 seconds")
      const response = yield* finished(fiber)
      // Both sent at once; the spender's first answer spent the budget while both still ran:
      // neither its repair nor the failing question's fallback was sent.
      expect(script.calls.map((call) => call.prompt)).toEqual(["spender", "failing"])
      expect(response.results[1]).toMatchObject({ status: "error", models_tried: ["openai/gpt-4o-mini"] })
      expect(response.results[1]!.error_message).toContain(
        "the fallback anthropic/claude-haiku-4-5 was not sent: budget exceeded"
      )
      expect(response.results[0]!.error_message).toContain("the next repair was not sent: budget exceeded")
      expect(response.summary.cost_usd).toBeCloseTo(each, 12)
    }))

  it.effect("a budget with a model of unknown price is refused before any call, naming MODEL_PRICES", () =>
    Effect.gen(function*() {
      const script = new LlmScript()
      const questions = [{ index: 1, question: "q", fallbacks: ["openai/my-fine-tune"] }]
      const error = yield* Effect.flip(runBudgeted(script, questions, 1))
      expect(error.message).toBe(
        "questions[0].fallbacks: max_cost_usd needs a price for every model a question may use, and " +
          "openai/my-fine-tune has none in the price table: add it to the service's MODEL_PRICES, or leave out max_cost_usd"
      )
      expect(script.calls).toHaveLength(0)
    }))
})

/** A batch with `max_cost_usd`, as a surface decodes it. */
const runBudgeted = (
  script: LlmScript,
  questions: ReadonlyArray<Record<string, unknown>>,
  maxCostUsd: number,
  env: Record<string, string> = {}
) =>
  runBatch(Schema.decodeUnknownSync(BatchRequest)({ questions, max_cost_usd: maxCostUsd })).pipe(
    Effect.provide(engineLayer(script, env))
  )
