/**
 * Estimates against hand-counted fixtures: OpenAI prompts counted with their own encoding (the
 * counts below were checked by hand against the tokens gpt-tokenizer gives each text, plus
 * OpenAI's chat framing), costs per lane from the price table, dependency waves, the budget's
 * lower bound, and the ETA's bounds.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { JobRequest } from "../../src/domain/Job.ts"
import { pricesWith } from "../../src/gateway/prices.ts"
import { tokenCounterFor } from "../../src/gateway/tokens.ts"
import { budgetRefusal, estimateJob } from "../../src/jobs/estimate.ts"
import { defaultLatencySeconds, latencyOf } from "../../src/jobs/estimateEta.ts"
import { recordAttempt, answeredLabels, typicalLatency } from "../../src/observability/metrics.ts"
import { testConfig } from "../support/engine.ts"

const request = (body: Record<string, unknown>) => Schema.decodeUnknownSync(JobRequest)(body)

const estimate = (body: Record<string, unknown>, env: Record<string, string> = {}) =>
  Effect.flatMap(AppConfig, (config) => estimateJob(request(body), config)).pipe(Effect.provide(testConfig(env)))

const gpt4oMini = { provider: "openai", name: "gpt-4o-mini" } as const

// o200k_base: "What is the capital of France?" is 7 tokens (What, is, the, capital, of, France, ?);
// "You are terse." 4 (You, are, terse, .); "Say hi." 3 (Say, hi, .); "user" and "system" 1 each.
// A chat request adds 3 per message and 3 for the reply: 3 + (3 + 1 + 7) = 14, and
// 3 + (3 + 1 + 4) + (3 + 1 + 3) = 18.
const france = { index: 1, question: "What is the capital of France?", model: "openai/gpt-4o-mini", max_tokens: 100 }
const terse = { index: 2, question: "Say hi.", system: "You are terse.", model: "openai/gpt-4o-mini", max_tokens: 50 }

describe("the estimate of a job", () => {
  it.effect("counts an OpenAI model's prompts exactly with its own encoding, chat framing included", () =>
    Effect.gen(function*() {
      const counter = yield* tokenCounterFor(gpt4oMini)
      expect(counter.tokenizer).toBe("o200k_base")
      expect(counter.countMessages([{ role: "user", content: "What is the capital of France?" }])).toBe(14)
      const result = yield* estimate({ questions: [france, terse] })
      expect(result.questions).toBe(2)
      expect(result.prompt_tokens).toEqual({ min: 32, max: 32 })
      expect(result.completion_tokens_max).toBe(150)
      expect(result.models).toHaveLength(1)
      expect(result.models[0]).toMatchObject({
        model: "openai/gpt-4o-mini",
        questions: 2,
        prompt_tokens_count: "exact",
        tokenizer: "o200k_base",
        prompt_tokens: { min: 32, max: 32 },
        completion_tokens_max: 150,
        batch_api: true
      })
    }))

  it.effect("prices each lane with the price table: sync at its price, batch at half", () =>
    Effect.gen(function*() {
      const result = yield* estimate({ questions: [france, terse] })
      const prices = yield* pricesWith(new Map())
      const cost = (prompt: number, completion: number, lane: "sync" | "batch") =>
        prices.callCost(gpt4oMini, { prompt_tokens: prompt, completion_tokens: completion }, lane)!
      // Per question, as each call is billed: 14 and 18 prompt tokens, 100 and 50 completion at most.
      const sync = { min: cost(14, 0, "sync") + cost(18, 0, "sync"), max: cost(14, 100, "sync") + cost(18, 50, "sync") }
      expect(result.cost_usd.sync).toEqual(sync)
      // $0.15 and $0.60 a million tokens: 32 × 0.15e-6 and that plus 150 × 0.6e-6.
      expect(sync.min).toBeCloseTo(4.8e-6, 12)
      expect(sync.max).toBeCloseTo(9.48e-5, 12)
      expect(result.cost_usd.batch!.min).toBeCloseTo(sync.min / 2, 12)
      expect(result.cost_usd.batch!.max).toBeCloseTo(sync.max / 2, 12)
      expect(result.unpriced_models).toEqual([])
    }))

  it.effect("counts a chain of 3 as 3 waves, its placeholders empty at least and full of max_tokens at most", () =>
    Effect.gen(function*() {
      const result = yield* estimate({
        questions: [
          france,
          { index: 2, question: "Shorten: {Q1_result}", max_tokens: 40 },
          { index: 3, question: "Translate: {Q2_result}", max_tokens: 30 }
        ]
      })
      expect(result.waves).toBe(3)
      expect(result.prompt_tokens.max - result.prompt_tokens.min).toBe(100 + 40)
      const flat = yield* estimate({ questions: [france, { ...terse, index: 2 }] })
      expect(flat.waves).toBe(1)
    }))

  it.effect("says which counts are approximate: chars/4 for another provider, a native format's schema for OpenAI", () =>
    Effect.gen(function*() {
      const result = yield* estimate({
        questions: [
          { index: 1, question: "x".repeat(40), model: "anthropic/claude-sonnet-4-5" },
          { index: 2, question: "Rate it", model: "openai/gpt-4o-mini", response_model: "sentiment" }
        ]
      })
      const byModel = new Map(result.models.map((model) => [model.model, model]))
      expect(byModel.get("anthropic/claude-sonnet-4-5")).toMatchObject({
        prompt_tokens_count: "approximate",
        tokenizer: "chars/4",
        prompt_tokens: { min: 10, max: 10 }
      })
      expect(byModel.get("openai/gpt-4o-mini")!.prompt_tokens_count).toBe("approximate")
    }))

  it.effect("names a model without a price and leaves the lanes' costs null", () =>
    Effect.gen(function*() {
      const result = yield* estimate({ questions: [france, { index: 2, question: "hi", model: "ollama/llama3.2" }] })
      expect(result.unpriced_models).toEqual(["ollama/llama3.2"])
      expect(result.cost_usd).toEqual({ sync: null, batch: null })
      expect(result.eta.batch).toBeNull()
    }))

  it.effect("reports a max_cost_usd that the prompts alone exceed, on the job's lane", () =>
    Effect.gen(function*() {
      const tight = yield* estimate({ questions: [france], max_cost_usd: 0.000001 })
      expect(tight.budget).toMatchObject({ max_cost_usd: 0.000001, exceeded: true })
      expect(tight.budget!.lower_bound_usd).toBeCloseTo(14 * 0.15e-6, 12)
      expect(budgetRefusal(tight)?.message).toContain("max_cost_usd")
      // Half price on the batch lane: the same budget is met.
      const batch = yield* estimate({ questions: [france], max_cost_usd: 0.0000011, lane: "batch" })
      expect(batch.budget).toMatchObject({ exceeded: false })
      expect(budgetRefusal(batch)).toBeUndefined()
      expect((yield* estimate({ questions: [france] })).budget).toBeNull()
    }))

  it.effect("bounds the sync ETA by RATE_LIMITS when it is the slowest, and the batch ETA by waves of turnaround", () =>
    Effect.gen(function*() {
      // A model no other test calls: files share a worker's modules (isolate: false), and with them
      // the latencies observed there.
      const questions = Array.from({ length: 30 }, (_, i) => ({
        index: i + 1,
        question: `Question ${i}`,
        model: "openai/gpt-estimate-eta"
      }))
      const result = yield* estimate({ questions }, { RATE_LIMITS: JSON.stringify([{ model: "openai/*", rpm: 10 }]) })
      expect(result.eta.sync).toMatchObject({ min_seconds: 180, max_seconds: 180 })
      expect(result.eta.sync.basis).toContain("rpm 10 of openai/*")
      // One wave of OpenAI batches: a minute to 24 h, plus collecting and polling.
      expect(result.eta.batch!.min_seconds).toBe(60 + 1)
      expect(result.eta.batch!.max_seconds).toBe(24 * 3600 + 1 + 60)
      const unlimited = yield* estimate({ questions })
      // 30 calls over 48 slots take one call's time: the default latency.
      expect(unlimited.eta.sync.min_seconds).toBe(defaultLatencySeconds)
      expect(unlimited.models[0]!.latency).toEqual({ seconds: defaultLatencySeconds, source: "default", samples: 0 })
    }))

  it("uses the latency observed for a model once it has answered a few times", () => {
    const model = { provider: "openai", name: "gpt-estimate-latency" } as const
    expect(latencyOf(typicalLatency("openai/gpt-estimate-latency")).source).toBe("default")
    for (const seconds of [1, 2, 3]) recordAttempt(model, answeredLabels, seconds, null)
    expect(latencyOf(typicalLatency("openai/gpt-estimate-latency"))).toEqual({ seconds: 2, source: "observed", samples: 3 })
  })

  it.effect("checks the job as POST /batches does: a cycle is refused with the same message", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(estimate({
        questions: [{ index: 1, question: "{Q2_result}" }, { index: 2, question: "{Q1_result}" }]
      }))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("dependency cycle")
    }))

  it.effect("counts a prompt that spells a special token as plain text", () =>
    Effect.gen(function*() {
      const result = yield* estimate({ questions: [{ index: 1, question: "<|endoftext|> and <|im_start|>" }] })
      expect(result.models[0]!.prompt_tokens_count).toBe("exact")
      expect(result.prompt_tokens.min).toBeGreaterThan(7)
    }))
})
