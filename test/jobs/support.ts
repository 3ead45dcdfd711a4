/**
 * Batch jobs in the test process: the real `Jobs` service (store, workflow engine, the same engine
 * as `/ask`) on a fresh temporary DATA_DIR, its providers pointed at the fake upstream.
 */
import { ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { QuestionItem } from "../../src/domain/Batch.ts"
import { finishedStatuses, type Job, JobRequest } from "../../src/domain/Job.ts"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { ServicesWithJobsLayer } from "../../src/services.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

/** A directory for the test's scope, removed after it. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "llm-batch-jobs-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/**
 * `Jobs` and the engine's services on the caller's `FakeUpstream`; `env` overrides (set DATA_DIR
 * to share a store between two layers: a restart). Fresh: never the instance of an enclosing
 * `Effect.provide` of the same layers.
 */
export const jobsLayer = (env: Record<string, string> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const upstream = yield* FakeUpstream
    const merged = { LOG_LEVEL: "Warn", ...fakeEnvironment(upstream.url), ...env }
    return Layer.fresh(ServicesWithJobsLayer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: merged })))))
  }))

/** Runs `test` against a fresh `Jobs` on a fresh fake upstream and DATA_DIR; `env` as `jobsLayer`'s. */
export const withJobs = <A, E>(test: Effect.Effect<A, E, Jobs | FakeUpstream>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    return yield* test.pipe(Effect.provide(jobsLayer({ DATA_DIR: dir, ...env })))
  }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer))

/** The batch lane polled and collecting every 20 ms instead of a minute and a second. */
export const fastBatchLane = { BATCH_POLL_INTERVAL_MS: "20", BATCH_COLLECT_MS: "20" }

/** Questions as a client writes them, decoded as the surfaces do. */
export const jobRequest = (questions: ReadonlyArray<Record<string, unknown>>): JobRequest =>
  Schema.decodeUnknownSync(JobRequest)({ questions })

export const questions = (count: number, prompt = (i: number) => `question ${i}`) =>
  Array.from({ length: count }, (_, i) => ({ index: i + 1, question: prompt(i + 1) }))

/** Polls the job until it has ended (bounded by the test's timeout). */
export const waitForEnd = (id: string, owner = "") =>
  Effect.gen(function*() {
    const jobs = yield* Jobs
    while (true) {
      const job: Job = yield* jobs.get(id, owner)
      if (finishedStatuses.has(job.status)) return job
      yield* Effect.sleep("20 millis")
    }
  })

export const allResults = (id: string, owner = "") =>
  Effect.gen(function*() {
    const jobs = yield* Jobs
    return yield* Stream.runCollect(jobs.results(id, owner, { follow: false }))
  })

export { QuestionItem }
