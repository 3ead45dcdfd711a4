/**
 * Retention: JOB_RETENTION_HOURS after a job ends, the job, its questions and results are deleted
 * (and the cluster's record of its workflow); a job still running is kept however old.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { DatabaseSync } from "node:sqlite"
import { sqliteFile } from "../../src/jobs/database.ts"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { ChunkWorkflow, JobWorkflow } from "../../src/jobs/workflow.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { jobRequest, jobsLayer, questions, tempDir, waitForEnd } from "./support.ts"

describe("job retention", () => {
  it.live("a finished job is deleted after JOB_RETENTION_HOURS; a running one is kept", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 60_000 })
      const dir = yield* tempDir
      const { finished, running } = yield* Effect.gen(function*() {
        const jobs = yield* Jobs
        const running = yield* jobs.submit(jobRequest([{ index: 1, question: "slow" }]), "")
        const finished = yield* jobs.submit(jobRequest(questions(3)), "")
        yield* waitForEnd(finished.id)
        // 0.0002 hours is 720 ms: gone within a few sweeps (bounded by the test's timeout).
        let exit = yield* Effect.exit(jobs.get(finished.id, ""))
        while (Exit.isSuccess(exit)) {
          yield* Effect.sleep("50 millis")
          exit = yield* Effect.exit(jobs.get(finished.id, ""))
        }
        expect(String(exit.cause)).toContain("JobNotFoundError")
        const results = yield* Effect.exit(Stream.runCollect(jobs.results(finished.id, "", { follow: false })))
        expect(Exit.isFailure(results)).toBe(true)
        expect((yield* jobs.get(running.id, "")).status).toBe("running")
        expect((yield* jobs.list("", 10)).map((job) => job.id)).toEqual([running.id])
        return { finished, running }
      }).pipe(Effect.provide(jobsLayer({ DATA_DIR: dir, JOB_RETENTION_HOURS: "0.0002" })))
      // The cluster's messages of the deleted job's workflows (the job's, its chunk's) went with it;
      // the running job's are there.
      const messagesOf = (jobId: string, chunk?: number) =>
        Effect.map(
          chunk === undefined ? JobWorkflow.executionId({ jobId }) : ChunkWorkflow.executionId({ jobId, chunk }),
          (executionId) => {
            const db = new DatabaseSync(sqliteFile(dir))
            try {
              return Number(db.prepare("SELECT COUNT(*) AS n FROM cluster_messages WHERE entity_id = ?").get(executionId)!.n)
            } finally {
              db.close()
            }
          }
        )
      expect(yield* messagesOf(finished.id)).toBe(0)
      expect(yield* messagesOf(finished.id, 0)).toBe(0)
      expect(yield* messagesOf(running.id)).toBeGreaterThan(0)
      expect(yield* messagesOf(running.id, 0)).toBeGreaterThan(0)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
