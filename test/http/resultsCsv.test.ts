/**
 * `GET /batches/{id}/results?format=csv`: a job's results as one table by index, with its
 * questions' meta and a structured answer's fields as their own columns (the writer `llm-batch run`
 * uses too).
 */
import { describe, expect, it } from "@effect/vitest"
import { parse } from "csv-parse/sync"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"
import { jobRequest, submitJob, waitForJob } from "../support/jobs.ts"

const schema = { type: "object", properties: { city: { type: "string" }, note: { type: "string" } }, required: ["city"] }

describe("GET /batches/{id}/results?format=csv", () => {
  it.live("answers text/csv by index: meta and answer fields as columns, quotes and line breaks escaped", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("France", { text: "{\"city\": \"Paris\", \"note\": \"big, \\\"old\\\"\\ncity\"}" })
      upstream.always("Italy", { text: "{\"city\": \"Rome\"}" })
      upstream.always("broken", { status: 400 })
      const job = yield* submitJob({
        questions: [
          { index: 2, question: "Capital of Italy?", response_schema: schema, meta: { id: "it" } },
          { index: 1, question: "Capital of France?", response_schema: schema, meta: { id: "fr", row: 1 } },
          { index: 3, question: "broken", meta: { id: "xx" } }
        ]
      })
      yield* waitForJob(job.id)
      const answer = yield* jobRequest(`/batches/${job.id}/results?format=csv`)
      expect(answer.status, answer.text).toBe(200)
      expect(answer.headers.get("content-type")).toMatch(/^text\/csv/)
      expect(answer.text.split("\n")[0]).toBe(
        "index,meta_id,meta_row,status,answer_city,answer_note,error_message,model,cost_usd"
      )
      const rows: Array<Record<string, string>> = parse(answer.text, { columns: true })
      expect(rows.map((row) => [row.index, row.meta_id, row.meta_row, row.status, row.answer_city, row.answer_note])).toEqual([
        ["1", "fr", "1", "success", "Paris", "big, \"old\"\ncity"],
        ["2", "it", "", "success", "Rome", ""],
        ["3", "xx", "", "error", "", ""]
      ])
      expect(rows[2]!.error_message).toContain("400")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("refuses format=csv with follow, and 404s an unknown job", () =>
    Effect.gen(function*() {
      const job = yield* submitJob({ questions: [{ index: 1, question: "q" }] })
      const both = yield* jobRequest(`/batches/${job.id}/results?format=csv&follow=true`)
      expect(both.status).toBe(400)
      expect(both.text).toContain("leave out follow")
      expect((yield* jobRequest("/batches/batch_nope/results?format=csv")).status).toBe(404)
    }).pipe(Effect.provide(TestServer.layer())))
})
