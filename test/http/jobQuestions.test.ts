/**
 * `GET /batches/{id}/questions` (what the console draws a job's graph from): the job's questions as
 * stored, one `QuestionItem` per NDJSON line in the order submitted (the order `sequential` follows),
 * with the visibility and 404 of every
 * job route, streamed from storage page by page.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { QuestionItem } from "../../src/domain/Batch.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { bearer, jobRequest, submitJob, waitForJob } from "../support/jobs.ts"
import { TestServer } from "../support/TestServer.ts"

const decodeQuestion = Schema.decodeUnknownSync(QuestionItem, { onExcessProperty: "error" })

const parseQuestions = (text: string) =>
  text.split("\n").filter((line) => line !== "").map((line) => decodeQuestion(JSON.parse(line)))

const questionsOf = (id: string, key?: string) => jobRequest(`/batches/${id}/questions`, { headers: bearer(key) })

describe("GET /batches/{id}/questions", () => {
  it.live("answers every question as NDJSON in the order submitted, with its defaults filled in", () =>
    Effect.gen(function*() {
      const job = yield* submitJob({
        questions: [
          { index: 30, question: "third, after {Q10_result}", model: "anthropic/claude-3-5-haiku-latest" },
          { index: 10, question: "first", method: "sequential", temperature: 0 },
          { index: 20, question: "second", method: "sequential", system: "be brief" }
        ]
      })
      yield* waitForJob(job.id)
      const answer = yield* questionsOf(job.id)
      expect(answer.status, answer.text).toBe(200)
      expect(answer.headers.get("content-type")).toContain("application/x-ndjson")
      const questions = parseQuestions(answer.text)
      // Not sorted by index: which sequential question follows which is the order they were sent in.
      expect(questions.map((q) => [q.index, q.question, q.method])).toEqual([
        [30, "third, after {Q10_result}", "concurrent"],
        [10, "first", "sequential"],
        [20, "second", "sequential"]
      ])
      expect(questions[1]).toMatchObject({ temperature: 0, max_tokens: 1000, cache: true })
      expect(questions[2]).toMatchObject({ system: "be brief", temperature: 0.2 })
      expect(questions[0]!.model).toBe("anthropic/claude-3-5-haiku-latest")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("is a 404 {\"error\"} for an unknown job, before any line", () =>
    Effect.gen(function*() {
      const answer = yield* questionsOf("batch_unknown")
      expect(answer.status).toBe(404)
      expect(JSON.parse(answer.text)).toEqual({ error: expect.stringContaining("no batch job batch_unknown") })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("with API_KEYS, answers the key that submitted the job, a 404 to another and a 401 without one", () =>
    Effect.gen(function*() {
      const job = yield* submitJob({ questions: [{ index: 1, question: "whose?" }] }, { key: "owner-key" })
      const own = yield* questionsOf(job.id, "owner-key")
      expect(own.status, own.text).toBe(200)
      expect(parseQuestions(own.text).map((q) => q.question)).toEqual(["whose?"])
      const other = yield* questionsOf(job.id, "other-key")
      expect(other.status).toBe(404)
      expect(JSON.parse(other.text)).toEqual({ error: expect.stringContaining(`no batch job ${job.id}`) })
      expect((yield* questionsOf(job.id)).status).toBe(401)
    }).pipe(Effect.provide(TestServer.layer({ API_KEYS: "owner-key,other-key" }))))

  it.live("streams a job of thousands of questions, across the store's pages, in the order submitted", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 30_000 })
      const count = 2_345
      // Submitted in reverse: the answer keeps that order, not the indexes'.
      const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ index: count - i, question: `question ${count - i}` }))
      const job = yield* submitJob(lines.join("\n"), { contentType: "application/jsonl" })
      // Its questions are not what this test is about: no need to ask them all.
      expect((yield* jobRequest(`/batches/${job.id}/cancel`, { method: "POST" })).status).toBe(200)
      const answer = yield* questionsOf(job.id)
      expect(answer.status).toBe(200)
      // A stream, not a body built first and sent with its length.
      expect(answer.headers.get("transfer-encoding")).toBe("chunked")
      expect(answer.headers.get("content-length")).toBeNull()
      const indexes = parseQuestions(answer.text).map((q) => q.index)
      expect(indexes).toEqual(Array.from({ length: count }, (_, i) => count - i))
      yield* waitForJob(job.id)
    }).pipe(Effect.provide(TestServer.layer())), 60_000)
})
