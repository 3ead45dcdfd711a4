/**
 * Batch jobs over HTTP (repo_docs/contract.md, *Batch jobs*): submit, poll, results (whole or
 * followed), list and cancel, on the real server with its job store in a temporary DATA_DIR, over
 * the fake upstream.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"
import {
  decodeJob,
  getJob,
  jobRequest,
  jobResults,
  parseResults,
  submitJob,
  waitForJob
} from "../support/jobs.ts"

const chain = {
  questions: [
    { index: 1, question: "What is the capital of France?", method: "sequential" },
    { index: 2, question: "What is the population of {Q1_result}?", method: "sequential" },
    { index: 3, question: "What is 2 + 2?" }
  ],
  metadata: { dataset: "capitals" }
}

/** Reads a streamed body line by line, calling `onLine` as each arrives; resolves at its end. */
const readLines = (url: string, onLine: (line: string) => Promise<void>) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffered = ""
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return response.status
      buffered += value
      const lines = buffered.split("\n")
      buffered = lines.pop()!
      for (const line of lines) if (line !== "") await onLine(line)
    }
  })

describe("POST /batches", () => {
  it.live("stores a JSON JobRequest and answers 202 with the Job, queued or running", () =>
    Effect.gen(function*() {
      const job = yield* submitJob(chain)
      expect(job.id).toMatch(/^batch_/)
      expect(["queued", "running", "completed"]).toContain(job.status)
      expect(job.counts.total).toBe(3)
      expect(job.metadata).toEqual({ dataset: "capitals" })
      // Stored before the 202: it can be read back at once.
      expect((yield* getJob(job.id)).id).toBe(job.id)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("runs the job to completed: GET /batches/{id} counts every question, with usage", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const job = yield* submitJob(chain)
      const done = yield* waitForJob(job.id)
      expect(done.status).toBe("completed")
      expect(done.counts).toEqual({ total: 3, succeeded: 3, failed: 0, pending: 0 })
      expect(done.started_at).not.toBeNull()
      expect(done.finished_at).not.toBeNull()
      expect(upstream.callsFor("population")[0]!.prompt).toBe("What is the population of Paris?")
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("GET /batches/{id}/results", () => {
  it.live("answers every finished question's ResultItem as NDJSON", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const job = yield* submitJob(chain)
      yield* waitForJob(job.id)
      const answer = yield* jobResults(job.id)
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toContain("application/x-ndjson")
      expect(answer.results.map((r) => [r.index, r.status]).sort()).toEqual([[1, "success"], [2, "success"], [3, "success"]])
      // Finishing order: the chain's second question after its first.
      const order = answer.results.map((r) => r.index)
      expect(order.indexOf(1)).toBeLessThan(order.indexOf(2))
      expect(answer.results.find((r) => r.index === 1)!.result).toBe("Paris")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("without follow, answers what has finished so far and ends while the job runs", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 3_000 })
      const job = yield* submitJob({ questions: [{ index: 1, question: "quick" }, { index: 2, question: "slow" }] })
      yield* eventually(() => upstream.callsFor("slow").length === 1)
      // Read until the quick answer is stored; each read ends at once, the slow question unanswered.
      let indexes: Array<number> = []
      for (let reads = 0; indexes.length === 0 && reads < 200; reads++) {
        indexes = (yield* jobResults(job.id)).results.map((r) => r.index)
        if (indexes.length === 0) yield* Effect.sleep(10)
      }
      expect(indexes).toEqual([1])
      expect((yield* getJob(job.id)).status).toBe("running")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("?follow=true sends a result while the job still runs and ends when the job ends", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 2_000 })
      const job = yield* submitJob({ questions: [{ index: 1, question: "quick" }, { index: 2, question: "slow" }] })
      const lines: Array<string> = []
      const statusAtFirstLine: Array<string> = []
      const status = yield* readLines(`${server.url}/batches/${job.id}/results?follow=true`, async (line) => {
        if (lines.length === 0) {
          statusAtFirstLine.push(decodeJob(await (await fetch(`${server.url}/batches/${job.id}`)).json()).status)
        }
        lines.push(line)
      })
      expect(status).toBe(200)
      expect(statusAtFirstLine).toEqual(["running"])
      expect(parseResults(lines.join("\n")).map((r) => r.index)).toEqual([1, 2])
      expect((yield* getJob(job.id)).status).toBe("completed")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("is a 404 {\"error\"} for an unknown job, before any line", () =>
    Effect.gen(function*() {
      for (const path of ["/batches/batch_unknown", "/batches/batch_unknown/results"]) {
        const answer = yield* jobRequest(path)
        expect(answer.status, path).toBe(404)
        expect(JSON.parse(answer.text), path).toEqual({ error: expect.stringContaining("no batch job batch_unknown") })
      }
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("a job's lane", () => {
  it.live("is sync unless the request says batch or auto; the Job and the list show it, each result says sync", () =>
    Effect.gen(function*() {
      const plain = yield* submitJob({ questions: [{ index: 1, question: "on the sync lane" }] })
      expect(plain).toMatchObject({ lane: "sync", provider_batches: [] })
      const done = yield* waitForJob(plain.id)
      expect(done).toMatchObject({ status: "completed", lane: "sync", provider_batches: [] })
      expect((yield* jobResults(plain.id)).results.map((result) => result.lane)).toEqual(["sync"])
      const lanes: Array<[string, string]> = []
      for (const lane of ["batch", "auto", "sync"]) {
        const job = yield* submitJob({ questions: [{ index: 1, question: `lane ${lane}` }], lane })
        expect(job.lane).toBe(lane)
        expect((yield* getJob(job.id)).lane).toBe(lane)
        lanes.unshift([job.id, lane])
      }
      const listed = JSON.parse((yield* jobRequest("/batches?limit=3")).text) as { data: Array<unknown> }
      expect(listed.data.map((job) => [decodeJob(job).id, decodeJob(job).lane])).toEqual(lanes)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("any other lane is a 400 naming the lanes there are, and stores nothing", () =>
    Effect.gen(function*() {
      const answer = yield* jobRequest("/batches", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ questions: [{ index: 1, question: "q" }], lane: "fast" })
      })
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.text)).toEqual({ error: 'lane: expected "sync" | "batch" | "auto"' })
      expect(JSON.parse((yield* jobRequest("/batches")).text)).toEqual({ data: [] })
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("GET /batches", () => {
  it.live("lists the jobs newest first, at most `limit`", () =>
    Effect.gen(function*() {
      const ids: Array<string> = []
      for (const name of ["first", "second", "third"]) {
        ids.push((yield* submitJob({ questions: [{ index: 1, question: name }], metadata: { name } })).id)
      }
      const all = yield* jobRequest("/batches")
      expect(all.status).toBe(200)
      const listed = (JSON.parse(all.text) as { data: Array<unknown> }).data.map((job) => decodeJob(job).id)
      expect(listed).toEqual([...ids].reverse())
      const two = yield* jobRequest("/batches?limit=2")
      expect((JSON.parse(two.text) as { data: Array<unknown> }).data.map((job) => decodeJob(job).id)).toEqual([ids[2], ids[1]])
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("POST /batches/{id}/cancel", () => {
  it.live("interrupts the calls in flight, sends no other, and ends every unfinished question as cancelled", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 30_000 })
      const job = yield* submitJob({
        questions: [
          { index: 1, question: "quick" },
          { index: 2, question: "slow one", method: "sequential" },
          { index: 3, question: "after {Q2_result}", method: "sequential" }
        ]
      })
      yield* eventually(() => upstream.callsFor("slow").length === 1)
      yield* eventually(() => upstream.callsFor("quick").length === 1)
      const cancel = yield* jobRequest(`/batches/${job.id}/cancel`, { method: "POST" })
      expect(cancel.status, cancel.text).toBe(200)
      expect(["cancelling", "cancelled"]).toContain(decodeJob(JSON.parse(cancel.text)).status)
      const ended = yield* waitForJob(job.id)
      expect(ended.status).toBe("cancelled")
      expect(ended.counts.pending).toBe(0)
      // The slow call was cut, and the question after it never sent.
      yield* eventually(() => upstream.aborted === 1)
      expect(upstream.callsFor("after")).toHaveLength(0)
      const { results } = yield* jobResults(job.id)
      const byIndex = new Map(results.map((r) => [r.index, r]))
      expect(byIndex.get(1)!.status).toBe("success")
      for (const index of [2, 3]) {
        expect(byIndex.get(index)!.status).toBe("error")
        expect(byIndex.get(index)!.error_message).toContain("cancelled")
      }
    }).pipe(Effect.provide(TestServer.layer())))
})
