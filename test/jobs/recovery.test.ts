/**
 * What a start finds in the store: a job stored but never started (the process died between the
 * insert and its workflow's first step) is started; a job whose questions cannot be read ends
 * `failed`, saying why.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Schema } from "effect"
import { DatabaseSync } from "node:sqlite"
import { QuestionItem } from "../../src/domain/Batch.ts"
import { sqliteFile } from "../../src/jobs/database.ts"
import { recoveryMessage } from "../../src/jobs/layer.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { jobsLayer, tempDir, waitForEnd } from "./support.ts"

const encodeQuestion = Schema.encodeSync(Schema.fromJsonString(QuestionItem))
const question = (index: number, text: string) => encodeQuestion(Schema.decodeUnknownSync(QuestionItem)({ index, question: text }))

/** Writes a queued job straight into the store, as `submit` does before it starts the workflow. */
const storeQueuedJob = (dir: string, id: string, items: ReadonlyArray<string>) => {
  const db = new DatabaseSync(sqliteFile(dir))
  try {
    db.prepare(`INSERT INTO llm_batch_jobs (id, owner, status, created_at, total, chunks, metadata)
      VALUES (?, '', 'queued', ?, ?, '[[]]', '{}')`).run(id, Date.now(), items.length)
    for (const [position, item] of items.entries()) {
      db.prepare(`INSERT INTO llm_batch_questions (job_id, position, idx, chunk, item, depends_on)
        VALUES (?, ?, ?, 0, ?, '[]')`).run(id, position, position + 1, item)
    }
  } finally {
    db.close()
  }
}

describe("starting on a store with unfinished jobs", () => {
  it("the startup line counts and names the jobs resumed, cancelled and failed, at most 20 ids a list", () => {
    expect(recoveryMessage({ resumed: [], cancelled: [], failed: [] })).toBeUndefined()
    expect(recoveryMessage({ resumed: ["batch_a", "batch_b"], cancelled: ["batch_c"], failed: [] })).toBe(
      "batch jobs left unfinished before this start: resumed 2 jobs: batch_a, batch_b; finished cancelling 1 job: batch_c"
    )
    const many = Array.from({ length: 25 }, (_, i) => `batch_${i}`)
    expect(recoveryMessage({ resumed: many, cancelled: [], failed: ["batch_x"] })).toBe(
      `batch jobs left unfinished before this start: resumed 25 jobs: ${many.slice(0, 20).join(", ")} and 5 more; ` +
        "marked failed 1 job whose workflow had failed: batch_x"
    )
  })


  it.live("a job stored but never started runs at the next start", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const dir = yield* tempDir
      // A first start creates the tables.
      yield* Layer.build(jobsLayer({ DATA_DIR: dir })).pipe(Effect.scoped)
      storeQueuedJob(dir, "batch_stored", [question(1, "stored one"), question(2, "stored two")])
      const logs: Array<string> = []
      const capture = Logger.make((options) => logs.push(`${options.logLevel} ${String(options.message)}`))
      const done = yield* waitForEnd("batch_stored").pipe(
        Effect.provide(jobsLayer({ DATA_DIR: dir, LOG_LEVEL: "Info" })),
        Effect.provide(Logger.layer([capture]))
      )
      expect(done.status).toBe("completed")
      expect(done.counts).toEqual({ total: 2, succeeded: 2, failed: 0, pending: 0 })
      expect(upstream.callsFor("stored")).toHaveLength(2)
      // The start says what it resumed, at INFO.
      expect(logs).toContain("Info batch jobs left unfinished before this start: resumed 1 job: batch_stored")
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("a job whose questions cannot be read ends failed with the reason", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const dir = yield* tempDir
      yield* Layer.build(jobsLayer({ DATA_DIR: dir })).pipe(Effect.scoped)
      storeQueuedJob(dir, "batch_broken", [question(1, "fine"), "{not json"])
      // LOG_LEVEL None: the job's failure is logged as an error, which is this test's point.
      const done = yield* waitForEnd("batch_broken").pipe(Effect.provide(jobsLayer({ DATA_DIR: dir, LOG_LEVEL: "None" })))
      expect(done.status).toBe("failed")
      expect(done.error).toContain("chunk 0")
      expect(done.finished_at).not.toBeNull()
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
