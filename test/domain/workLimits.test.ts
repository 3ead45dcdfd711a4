/**
 * The work one question may ask for has maxima in the schema every surface decodes with
 * (QuestionItem): repairs (`max_validation_retries`) and fallback models (`fallbacks`). Above them
 * a request is a 400 naming the field and the maximum, before any call.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { maxFallbackModels, maxRepairRetries } from "../../src/domain/Batch.ts"
import { decodeBatchRequest, decodeWith } from "../../src/domain/decode.ts"
import { JobRequest } from "../../src/domain/Job.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const tooManyFallbacks = Array.from({ length: maxFallbackModels + 1 }, (_, i) => `openai/gpt-4o-mini-${i}`)
const overMaxima = [
  { index: 1, question: "q", max_validation_retries: 1_000_000_000 },
  { index: 2, question: "q", fallbacks: tooManyFallbacks }
]
const repairsProblem =
  `questions[0].max_validation_retries: expected at most ${maxRepairRetries} (the most repair retries a question may ask for)`
const fallbacksProblem =
  `questions[1].fallbacks: expected at most ${maxFallbackModels} fallback models (the service's maximum)`

describe("the maxima of a question's work", () => {
  it.live("POST /ask above them is a 400 naming each field and its maximum, and no call is made", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      const answer = yield* server.post("/ask", { questions: overMaxima })
      expect(answer.status).toBe(400)
      expect((answer.body as { readonly error: string }).error).toBe(`${repairsProblem}; ${fallbacksProblem}`)
      expect(upstream.requests).toHaveLength(0)
      // At the maxima the request is accepted.
      const atMaxima = yield* server.post("/ask", {
        questions: [{ index: 1, question: "q", max_validation_retries: maxRepairRetries, fallbacks: tooManyFallbacks.slice(1) }]
      })
      expect(atMaxima.status).toBe(200)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("/openapi.json advertises both maxima", () =>
    Effect.gen(function*() {
      const text = (yield* (yield* TestServer).get("/openapi.json")).text
      expect(text).toContain(`"maximum":${maxRepairRetries}`)
      expect(text).toContain(`"maxItems":${maxFallbackModels}`)
    }).pipe(Effect.provide(TestServer.layer())))

  it.effect("the engine's decoders (batches; jobs over HTTP, MCP and RPC) refuse them with the same message", () =>
    Effect.gen(function*() {
      const batch = yield* Effect.flip(decodeBatchRequest({ questions: overMaxima }))
      expect(batch.message).toBe(`${repairsProblem}; ${fallbacksProblem}`)
      const job = yield* Effect.flip(decodeWith(JobRequest)({ questions: overMaxima }))
      expect(job.message).toBe(`${repairsProblem}; ${fallbacksProblem}`)
    }))
})
