/**
 * A job whose results cannot be stored (issue 23: a full disk froze a job silently and asked 894
 * questions twice). The real SQLite limit stands in for the disk: `PRAGMA max_page_count` on the
 * store's connection. The job must stop asking, say why, and resume by itself once the store takes
 * results again, asking again no more than the calls that were in flight.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { finishedStatuses, type Job } from "../../src/domain/Job.ts"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { layerWithDatabase } from "../../src/jobs/layer.ts"
import { LogLevelLayer, ServicesLayer } from "../../src/services.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment } from "../support/TestServer.ts"
import { jobRequest, questions, tempDir } from "./support.ts"

const total = 400
/** Calls in flight at most: BATCH_CONCURRENCY. */
const inFlight = 8

const jobsWithDatabase = Layer.unwrap(Effect.gen(function*() {
  const upstream = yield* FakeUpstream
  const env = {
    LOG_LEVEL: "None",
    ...fakeEnvironment(upstream.url),
    DATA_DIR: yield* tempDir,
    LLM_CONCURRENCY: String(inFlight),
    BATCH_CONCURRENCY: String(inFlight)
  }
  return Layer.fresh(layerWithDatabase.pipe(
    Layer.provide(LogLevelLayer),
    Layer.provideMerge(ServicesLayer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  ))
}))

const until = <A>(read: Effect.Effect<A>, done: (value: A) => boolean) =>
  Effect.gen(function*() {
    while (true) {
      const value = yield* read
      if (done(value)) return value
      yield* Effect.sleep("20 millis")
    }
  })

describe("a job whose results cannot be stored", () => {
  it.live("stops asking, says why, and resumes without asking its answered questions again", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { text: "an answer", delayMs: 5 })
      const jobs = yield* Jobs
      const sql = yield* SqlClient
      const get = (id: string) => Effect.orDie(jobs.get(id, ""))
      const calls = () => upstream.requests.length

      const { id } = yield* jobs.submit(jobRequest(questions(total)), "")
      yield* until(get(id), (job) => job.counts.succeeded >= 50)
      // The disk is full: the file may not grow by one page.
      const pages = yield* sql<{ readonly page_count: number }>`PRAGMA page_count`
      yield* sql.unsafe(`PRAGMA max_page_count = ${pages[0]!.page_count}`)

      const stalled: Job = yield* until(get(id), (job) => job.status_detail !== undefined)
      expect(stalled.status).toBe("running")
      expect(stalled.status_detail).toContain("its results cannot be stored (database or disk is full)")
      expect(stalled.status_detail).toContain("no question is sent until they can")
      // No question is sent any more: beyond those recorded, only the ones in flight at the stop.
      const atStop = calls()
      yield* Effect.sleep("1500 millis")
      expect(calls()).toBe(atStop)
      expect(atStop).toBeLessThanOrEqual(stalled.counts.succeeded + 2 * inFlight)
      expect((yield* get(id)).status).toBe("running")

      // Space returns: the job resumes by itself and ends; only the calls in flight were asked twice.
      yield* sql.unsafe("PRAGMA max_page_count = 1073741823")
      const done = yield* until(get(id), (job) => finishedStatuses.has(job.status))
      expect(done.status).toBe("completed")
      expect(done.counts).toEqual({ total, succeeded: total, failed: 0, pending: 0 })
      expect(done.status_detail).toBeUndefined()
      expect(calls() - total).toBeLessThanOrEqual(inFlight)
    }).pipe(Effect.provide(jobsWithDatabase), Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
