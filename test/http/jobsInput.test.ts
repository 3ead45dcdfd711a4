/**
 * What POST /batches accepts and refuses: JSONL uploads (lines without `index` numbered by their
 * line, errors naming lines) and malformed or hostile bodies, each a 4xx `{"error": …}` that says
 * what to fix — never a 5xx, never a stored job.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"
import { jobRequest, jobResults, submitJob, waitForJob } from "../support/jobs.ts"

/** One line per item: strings as they are, anything else as JSON. */
const jsonl = (lines: ReadonlyArray<unknown>) =>
  lines.map((line) => typeof line === "string" ? line : JSON.stringify(line)).join("\n") + "\n"

/** POST /batches (or another path) with `body` as is: status and the parsed `{"error"}` body. */
const post = (body: string | Uint8Array<ArrayBuffer>, contentType = "application/json", path = "/batches") =>
  Effect.map(
    jobRequest(path, { method: "POST", headers: { "content-type": contentType }, body }),
    (answer) => ({
      status: answer.status,
      type: answer.headers.get("content-type"),
      body: JSON.parse(answer.text) as unknown
    })
  )

/** The job list is empty: a refused body stored nothing. */
const noJobStored = Effect.gen(function*() {
  const list = yield* jobRequest("/batches")
  expect(JSON.parse(list.text)).toEqual({ data: [] })
})

describe("POST /batches with JSONL", () => {
  it.live("numbers the lines without an index by their line, for application/jsonl and application/x-ndjson", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital", { text: "Paris" })
      for (const contentType of ["application/jsonl", "application/x-ndjson; charset=utf-8"]) {
        const body = jsonl([{ question: "The capital of France?" }, "", { index: 7, question: "About {Q1_result}?" }, {
          question: "Third"
        }])
        const job = yield* submitJob(body, { contentType })
        expect(job.counts.total).toBe(3)
        yield* waitForJob(job.id)
        const { results } = yield* jobResults(job.id)
        expect(results.map((r) => r.index).sort((a, b) => a - b), contentType).toEqual([1, 4, 7])
        expect(results.every((r) => r.status === "success"), contentType).toBe(true)
      }
      // Line 1's answer went into line 3's question (index 7).
      expect(upstream.callsFor("About")[0]!.prompt).toBe("About Paris?")
    }).pipe(Effect.provide(TestServer.layer())), 60_000)

  it.live("answers 400 naming each bad line: not JSON on line 3, an unknown field on line 5", () =>
    Effect.gen(function*() {
      const answer = yield* post(
        jsonl([{ question: "a" }, { question: "b" }, "{not json", { question: "d" }, { question: "e", temprature: 1 }]),
        "application/jsonl"
      )
      expect(answer.status).toBe(400)
      expect(answer.type).toContain("application/json")
      const { error } = answer.body as { error: string }
      expect(error).toContain("line 3: not valid JSON")
      expect(error).toContain("line 5: temprature: unknown field")
      expect(error).not.toMatch(/line [124]:/)
      yield* noJobStored
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("names lines, not positions, in a batch error: a duplicate index and a dependency cycle", () =>
    Effect.gen(function*() {
      const duplicate = yield* post(jsonl([{ question: "a" }, "", { index: 1, question: "b" }]), "application/jsonl")
      expect(duplicate).toMatchObject({ status: 400, body: { error: "line 3: index: index 1 is already used by line 1" } })
      const cycle = yield* post(jsonl([{ question: "uses {Q2_result}" }, { question: "uses {Q1_result}" }]), "application/jsonl")
      expect(cycle.status).toBe(400)
      expect((cycle.body as { error: string }).error).toContain("cycle")
      yield* noJobStored
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("POST /batches refuses malformed and hostile bodies with a 4xx {\"error\"}", () => {
  const json = "application/json"
  /** A JSON JobRequest body of these questions (and other top-level fields). */
  const job = (questions: ReadonlyArray<Record<string, unknown>>, more: Record<string, unknown> = {}) =>
    JSON.stringify({ questions, ...more })
  const one = [{ index: 1, question: "q" }]
  type Case = readonly [name: string, body: string | Uint8Array<ArrayBuffer>, type: string, status: number, says: RegExp]
  const cases: ReadonlyArray<Case> = [
    ["not JSON", "{\"questions\": [", json, 400, /not valid JSON/],
    ["not a JobRequest", job([{ index: 1 }]), json, 400, /questions\[0\]\.question/],
    ["an unknown top-level field", job(one, { extra: 1 }), json, 400, /extra: unknown field/],
    ["metadata that is not strings", job(one, { metadata: { n: 1 } }), json, 400, /metadata\.n/],
    ["no questions", job([]), json, 400, /no questions/],
    ["an empty JSONL body", "\n\n", "application/jsonl", 400, /no questions/],
    ["a duplicate index", job([{ index: 1, question: "a" }, { index: 1, question: "b" }]), json, 400, /questions\[1\]\.index: index 1 is already used/],
    ["a dependency cycle", job([{ index: 1, question: "{Q2_result}" }, { index: 2, question: "{Q1_result}" }]), json, 400, /cycle/],
    ["a placeholder naming a missing question", job([{ index: 1, question: "{Q9_result}" }]), json, 400, /Q9/],
    ["a body that is not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "application/jsonl", 400, /not valid UTF-8/],
    ["a content type that is neither JSON nor JSONL", "index,question\n1,hi", "text/csv", 415, /application\/jsonl/],
    ["more questions than MAX_JOB_SIZE", job([1, 2, 3, 4].map((index) => ({ index, question: "q" }))), json, 400, /MAX_JOB_SIZE/],
    ["a body over MAX_JOB_BODY_BYTES", job([{ index: 1, question: "x".repeat(5_000) }]), json, 413, /MAX_JOB_BODY_BYTES/]
  ]

  // POST /batches/estimate takes the same bodies, with the same limits and messages.
  it.live("each answer says what to fix, and nothing is stored (POST /batches and /batches/estimate)", () =>
    Effect.gen(function*() {
      for (const [name, body, contentType, status, says] of cases) {
        const answer = yield* post(body, contentType)
        expect(answer.status, name).toBe(status)
        const estimate = yield* post(body, contentType, "/batches/estimate")
        expect(estimate, `${name} (estimate)`).toEqual(answer)
        expect(answer.type, name).toContain("application/json")
        expect(Object.keys(answer.body as object), name).toEqual(["error"])
        expect((answer.body as { error: string }).error, name).toMatch(says)
      }
      yield* noJobStored
    }).pipe(Effect.provide(TestServer.layer({ MAX_JOB_SIZE: "3", MAX_JOB_BODY_BYTES: "4096" }))), 60_000)

  it.live("a bad query parameter is a 400 naming it", () =>
    Effect.gen(function*() {
      for (const path of ["/batches?limit=abc", "/batches?limit=0", "/batches/batch_x/results?follow=maybe"]) {
        const answer = yield* jobRequest(path)
        expect(answer.status, path).toBe(400)
        expect(JSON.parse(answer.text), path).toEqual({ error: expect.stringMatching(/^invalid query parameter: (limit|follow): /) })
      }
    }).pipe(Effect.provide(TestServer.layer())))
})
