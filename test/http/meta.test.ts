/**
 * A question's `meta` over HTTP: back on its result from POST /ask, POST /ask/stream and a job's
 * results (submitted as JSONL, the way `llm-batch run` sends rows).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestServer } from "../support/TestServer.ts"
import { jobRequest, jobResults, parseResults, submitJob, waitForJob } from "../support/jobs.ts"

const questions = [
  { index: 1, question: "first", meta: { id: "a-1", row: 2 } },
  { index: 2, question: "second", meta: { id: "b-2", row: 3, ok: true, none: null } },
  { index: 3, question: "third" }
]
const metas = [questions[0]!.meta, questions[1]!.meta, undefined]

describe("meta over HTTP", () => {
  it.live("comes back unchanged from /ask, /ask/stream and a job's results", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const asked = yield* server.post("/ask", { questions })
      expect(asked.status, asked.text).toBe(200)
      const body = asked.body as { results: ReadonlyArray<{ meta?: unknown }> }
      expect(body.results.map((result) => result.meta)).toEqual(metas)

      const streamed = yield* server.post("/ask/stream", { questions })
      const lines = parseResults(streamed.text).toSorted((a, b) => a.index - b.index)
      expect(lines.map((result) => result.meta)).toEqual(metas)

      const job = yield* submitJob(questions.map((q) => JSON.stringify(q)).join("\n"), { contentType: "application/jsonl" })
      yield* waitForJob(job.id)
      const stored = (yield* jobResults(job.id)).results.toSorted((a, b) => a.index - b.index)
      expect(stored.map((result) => result.meta)).toEqual(metas)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("refuses a meta larger than its limit with a 400 naming the field", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [{ index: 1, question: "q", meta: { big: "x".repeat(3000) } }] })
      expect(answer.status).toBe(400)
      expect(answer.text).toContain("meta")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a JSONL job takes its lane and budget as query parameters; a bad one is a 400", () =>
    Effect.gen(function*() {
      const lines = [1, 2, 3].map((index) => JSON.stringify({ index, question: `q${index}`, model: "openai/gpt-4o-mini" }))
      const onBatch = yield* jobRequest("/batches?lane=batch", {
        method: "POST",
        headers: { "content-type": "application/jsonl" },
        body: lines.join("\n")
      })
      expect(onBatch.status, onBatch.text).toBe(202)
      const batchJob = JSON.parse(onBatch.text) as { id: string; lane: string }
      expect(batchJob.lane).toBe("batch")
      yield* jobRequest(`/batches/${batchJob.id}/cancel`, { method: "POST" })
      // The budget reaches the job: one its prompts alone exceed is refused at submit.
      const tooSmall = yield* jobRequest("/batches?max_cost_usd=0.0000001", {
        method: "POST",
        headers: { "content-type": "application/jsonl" },
        body: lines.join("\n")
      })
      expect(tooSmall.status, tooSmall.text).toBe(400)
      expect(tooSmall.text).toContain("over its max_cost_usd of $1e-7")
      const budgeted = yield* submitJob(lines.join("\n"), { contentType: "application/jsonl", path: "/batches?max_cost_usd=5" })
      expect((yield* waitForJob(budgeted.id)).status).toBe("completed")
      for (const query of ["lane=slow", "max_cost_usd=abc", "max_cost_usd=-1", "colour=red"]) {
        const refused = yield* jobRequest(`/batches?${query}`, {
          method: "POST",
          headers: { "content-type": "application/jsonl" },
          body: lines.join("\n")
        })
        expect(refused.status, query).toBe(400)
        expect(refused.text, query).toContain("invalid query parameter")
      }
    }).pipe(Effect.provide(TestServer.layer({ BATCH_CONCURRENCY: "1" }))))
})
