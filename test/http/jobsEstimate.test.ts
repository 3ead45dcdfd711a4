/**
 * POST /batches/estimate over HTTP: the estimate of a JSON or JSONL job with no call upstream and
 * nothing stored, and POST /batches refusing a max_cost_usd the estimate's lower bound exceeds.
 * (Malformed and hostile bodies: jobsInput.test.ts, for both routes.)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { JobEstimate } from "../../src/domain/Estimate.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"
import { jobRequest } from "../support/jobs.ts"

const decodeEstimate = Schema.decodeUnknownSync(JobEstimate, { onExcessProperty: "error" })

const post = (path: string, body: string, contentType = "application/json") =>
  Effect.map(
    jobRequest(path, { method: "POST", headers: { "content-type": contentType }, body }),
    (answer) => ({ status: answer.status, body: JSON.parse(answer.text) as unknown })
  )

const france = { index: 1, question: "What is the capital of France?", model: "openai/gpt-4o-mini", max_tokens: 100 }
const terse = { index: 2, question: "Say hi.", system: "You are terse.", model: "openai/gpt-4o-mini", max_tokens: 50 }

/** No call went upstream and no job was stored. */
const nothingSent = Effect.gen(function*() {
  const upstream = yield* FakeUpstream
  expect(upstream.requests).toHaveLength(0)
  expect(JSON.parse((yield* jobRequest("/batches")).text)).toEqual({ data: [] })
})

describe("POST /batches/estimate", () => {
  it.live("estimates a JSON job without sending or storing anything", () =>
    Effect.gen(function*() {
      const answer = yield* post("/batches/estimate", JSON.stringify({ questions: [france, terse], lane: "batch" }))
      expect(answer.status).toBe(200)
      const estimate = decodeEstimate(answer.body)
      expect(estimate).toMatchObject({
        questions: 2,
        lane: "batch",
        waves: 1,
        prompt_tokens: { min: 32, max: 32 },
        completion_tokens_max: 150,
        budget: null
      })
      expect(estimate.models[0]).toMatchObject({ model: "openai/gpt-4o-mini", prompt_tokens_count: "exact" })
      expect(estimate.cost_usd.batch!.min).toBeCloseTo(32 * 0.15e-6 / 2, 12)
      yield* nothingSent
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("estimates a JSONL job, its lines numbered as POST /batches numbers them", () =>
    Effect.gen(function*() {
      const body = [{ question: "What is the capital of France?" }, { question: "Shorter: {Q1_result}" }]
        .map((line) => JSON.stringify(line)).join("\n")
      const answer = yield* post("/batches/estimate", body, "application/jsonl")
      expect(answer.status).toBe(200)
      expect(decodeEstimate(answer.body)).toMatchObject({ questions: 2, waves: 2 })
      yield* nothingSent
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("a max_cost_usd the prompts alone exceed", () => {
  it.live("is reported by the estimate and refused by POST /batches with a 400, before anything is sent", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ questions: [france, terse], max_cost_usd: 0.000001 })
      const estimate = yield* post("/batches/estimate", body)
      expect(decodeEstimate(estimate.body).budget).toMatchObject({ max_cost_usd: 0.000001, exceeded: true })
      const submit = yield* post("/batches", body)
      expect(submit.status).toBe(400)
      expect((submit.body as { error: string }).error).toMatch(
        /^max_cost_usd: the job's prompts alone cost at least \$0\.0000048 on lane sync, over its max_cost_usd of \$0\.000001/
      )
      yield* nothingSent
    }).pipe(Effect.provide(TestServer.layer())))
})
