/**
 * The same jobs on PostgreSQL (DATABASE_URL): submit, results, questions, and a resume after a restart, in a
 * database created for the test and dropped after it.
 */
import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Exit, Layer, Redacted, Stream } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { freePortPromise } from "../support/ports.ts"
import { scratchPostgresDatabase } from "../support/postgres.ts"
import { allResults, jobRequest, jobsLayer, questions, waitForEnd } from "./support.ts"

/** A database of its own for the scope, dropped after it; gives its URL. */
const database = scratchPostgresDatabase("llm_batch_jobs")

const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    while (!ready()) yield* Effect.sleep("10 millis")
  })

describe("batch jobs on PostgreSQL", () => {
  it.live("a job runs and its results and questions are read back", () =>
    Effect.gen(function*() {
      const url = yield* database
      yield* Effect.gen(function*() {
        const jobs = yield* Jobs
        const job = yield* jobs.submit(jobRequest([...questions(5), { index: 6, question: "after {Q5_result}" }]), "")
        const done = yield* waitForEnd(job.id)
        expect(done.counts).toEqual({ total: 6, succeeded: 6, failed: 0, pending: 0 })
        const results = yield* allResults(job.id)
        expect(results.find((result) => result.index === 6)?.result).toBe("answer to: after answer to: question 5")
        // In the order submitted, paged by the stored position (BIGINT here).
        const stored = yield* Stream.runCollect(jobs.questions(job.id, ""))
        expect(stored.map((question) => question.index)).toEqual([1, 2, 3, 4, 5, 6])
      }).pipe(Effect.provide(jobsLayer({ DATABASE_URL: url, RUNNER_PORT: String(yield* Effect.promise(freePortPromise)) })))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("a job interrupted by a shutdown resumes on the next start", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 100 })
      const url = yield* database
      // A runner port of its own (the same for the restart): other files run clusters at once.
      const runnerPort = String(yield* Effect.promise(freePortPromise))
      const env = { DATABASE_URL: url, RUNNER_PORT: runnerPort, LLM_CONCURRENCY: "8", BATCH_CONCURRENCY: "4", JOB_CHUNK_SIZE: "10" }
      const id = yield* Effect.gen(function*() {
        const job = yield* (yield* Jobs).submit(jobRequest(questions(40)), "")
        yield* until(() => upstream.requests.length >= 15)
        return job.id
      }).pipe(Effect.provide(jobsLayer(env)))
      const done = yield* waitForEnd(id).pipe(Effect.provide(jobsLayer(env)))
      expect(done.counts).toEqual({ total: 40, succeeded: 40, failed: 0, pending: 0 })
      expect(upstream.requests.length).toBeLessThanOrEqual(40 + 4)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})

describe("a cancel as the job finishes", () => {
  it.live("leaves a job whose every question has a result completed, with no result cancelled", () =>
    Effect.gen(function*() {
      const url = yield* database
      yield* Effect.gen(function*() {
        const jobs = yield* Jobs
        const job = yield* jobs.submit(jobRequest(questions(40)), "")
        yield* waitForEnd(job.id)
        // The moment between the last result and the workflow's completion: every result stored, still running.
        yield* Effect.gen(function*() {
          const sql = yield* SqlClient
          yield* sql`UPDATE llm_batch_jobs SET status = 'running', finished_at = NULL WHERE id = ${job.id}`
        }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })))
        const cancelled = yield* jobs.cancel(job.id, "")
        expect(cancelled.status).toBe("completed")
        expect(cancelled.counts).toEqual({ total: 40, succeeded: 40, failed: 0, pending: 0 })
        expect(cancelled.finished_at).not.toBeNull()
      }).pipe(Effect.provide(jobsLayer({ DATABASE_URL: url, RUNNER_PORT: String(yield* Effect.promise(freePortPromise)) })))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})

describe("an unreachable DATABASE_URL", () => {
  it.live("stops the start saying what to check, without the URL's password", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(jobsLayer({ DATABASE_URL: "postgres://llm:s3cret-pass@127.0.0.1:1/jobs" })).pipe(Effect.scoped)
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const message = String(Exit.isFailure(exit) && exit.cause)
      expect(message).toContain("cannot connect to the PostgreSQL database of DATABASE_URL")
      expect(message).not.toContain("s3cret-pass")
    }).pipe(Effect.provide(FakeUpstream.layer)), 30_000)
})
