/**
 * The `Jobs` service end to end in the test process: submit, status, results (streamed and paged),
 * owners; over the real store on a temporary DATA_DIR and the fake upstream.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Stream } from "effect"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { allResults, jobRequest, questions, waitForEnd, withJobs } from "./support.ts"


describe("batch jobs", () => {
  it.live("a submitted job is stored as queued, then answers every question", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* Jobs
      const job = yield* jobs.submit({ ...jobRequest(questions(10)), metadata: { dataset: "demo" } }, "")
      expect(job).toMatchObject({ status: "queued", metadata: { dataset: "demo" }, started_at: null, cost_usd: 0 })
      expect(job.counts).toEqual({ total: 10, succeeded: 0, failed: 0, pending: 10 })
      const done = yield* waitForEnd(job.id)
      expect(done.status).toBe("completed")
      expect(done.counts).toEqual({ total: 10, succeeded: 10, failed: 0, pending: 0 })
      expect(done.usage).toEqual({ prompt_tokens: 100, completion_tokens: 50 })
      expect(done.started_at).not.toBeNull()
      expect(done.finished_at).not.toBeNull()
      const results = yield* allResults(job.id)
      expect(results.map((result) => result.index).toSorted((a, b) => a - b)).toEqual(questions(10).map((q) => q.index))
      expect(results.every((result) => result.status === "success" && result.result === `answer to: question ${result.index}`))
        .toBe(true)
    })), 30_000)

  it.live("a question that fails is a failed result of a completed job, and its dependents are not sent", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("broken", { status: 400 })
      const jobs = yield* Jobs
      const job = yield* jobs.submit(
        jobRequest([{ index: 1, question: "broken" }, { index: 2, question: "uses {Q1_result}" }, { index: 3, question: "fine" }]),
        ""
      )
      const done = yield* waitForEnd(job.id)
      expect(done.status).toBe("completed")
      expect(done.counts).toEqual({ total: 3, succeeded: 1, failed: 2, pending: 0 })
      expect(upstream.callsFor("uses")).toHaveLength(0)
    })), 30_000)

  it.live("results are read in finishing order, page by page, until a finished job has none left", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* Jobs
      const job = yield* jobs.submit(jobRequest(questions(7)), "")
      yield* waitForEnd(job.id)
      const streamed = yield* allResults(job.id)
      const first = yield* jobs.resultsPage(job.id, "", { offset: 0, limit: 3 })
      const second = yield* jobs.resultsPage(job.id, "", { offset: 3, limit: 3 })
      const last = yield* jobs.resultsPage(job.id, "", { offset: 6, limit: 3 })
      expect([first.next_offset, second.next_offset, last.next_offset]).toEqual([3, 6, null])
      expect([...first.results, ...second.results, ...last.results]).toEqual(streamed)
    })), 30_000)

  it.live("following a running job streams every result and ends when the job ends", () =>
    withJobs(Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 50 })
      const jobs = yield* Jobs
      const job = yield* jobs.submit(jobRequest(questions(30)), "")
      const followed = yield* Effect.forkChild(Stream.runCollect(jobs.results(job.id, "", { follow: true })))
      const results = yield* Fiber.join(followed)
      expect(new Set(results.map((result) => result.index)).size).toBe(30)
      expect((yield* jobs.get(job.id, "")).status).toBe("completed")
    }), { LLM_CONCURRENCY: "4" }), 30_000)

  it.live("another owner's job does not exist for a caller: get, results, cancel and the list say so", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* Jobs
      const job = yield* jobs.submit(jobRequest(questions(2)), "owner-a")
      yield* waitForEnd(job.id, "owner-a")
      const notFound = (exit: Exit.Exit<unknown, unknown>) =>
        expect(Exit.isFailure(exit) && String(exit.cause)).toContain("JobNotFoundError")
      notFound(yield* Effect.exit(jobs.get(job.id, "owner-b")))
      notFound(yield* Effect.exit(Stream.runCollect(jobs.results(job.id, "owner-b", { follow: false }))))
      notFound(yield* Effect.exit(jobs.resultsPage(job.id, "owner-b", { offset: 0, limit: 10 })))
      notFound(yield* Effect.exit(jobs.cancel(job.id, "owner-b")))
      expect(yield* jobs.list("owner-b", 10)).toEqual([])
      expect((yield* jobs.list("owner-a", 10)).map((listed) => listed.id)).toEqual([job.id])
      expect((yield* jobs.get(job.id, "owner-a")).status).toBe("completed")
    })), 30_000)

  it.live("the list is newest first and honours its limit", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* Jobs
      const ids: Array<string> = []
      for (let i = 0; i < 3; i++) ids.push((yield* jobs.submit(jobRequest(questions(1)), "")).id)
      expect((yield* jobs.list("", 2)).map((job) => job.id)).toEqual([ids[2], ids[1]])
    })), 30_000)

  it.live("a job over MAX_JOB_SIZE is refused before anything is stored", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* Jobs
      const exit = yield* Effect.exit(jobs.submit(jobRequest(questions(6)), ""))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("6 questions exceed the limit of 5 (MAX_JOB_SIZE)")
      expect(yield* jobs.list("", 10)).toEqual([])
    }), { MAX_JOB_SIZE: "5" }), 30_000)

  it.live("a job may hold more questions than MAX_BATCH_SIZE allows /ask", () =>
    withJobs(Effect.gen(function*() {
      const jobs = yield* Jobs
      const job = yield* jobs.submit(jobRequest(questions(12)), "")
      expect((yield* waitForEnd(job.id)).counts.succeeded).toBe(12)
    }), { MAX_BATCH_SIZE: "5" }), 30_000)
})
