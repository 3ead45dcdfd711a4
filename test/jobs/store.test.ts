/**
 * The embedded store belongs to one process: a second one on the same DATA_DIR would run every
 * job twice. The server refuses to start; MCP over stdio (often started by a host next to a
 * running server) starts without jobs and its job tools say why.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { closeSync, openSync, statSync, writeFileSync, writeSync } from "node:fs"
import { join } from "node:path"
import { sqliteFile } from "../../src/jobs/database.ts"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { ServicesWithJobsIfAvailableLayer } from "../../src/services.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { seedFinishedJob } from "../support/seedJob.ts"
import { fakeEnvironment } from "../support/TestServer.ts"
import { jobRequest, jobsLayer, questions, tempDir } from "./support.ts"

describe("the embedded job store", () => {
  it.live("a second service on the same DATA_DIR is refused with what to do", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        yield* Jobs
        const second = yield* Effect.exit(Layer.build(jobsLayer({ DATA_DIR: dir })).pipe(Effect.scoped))
        expect(Exit.isFailure(second) && String(second.cause)).toContain(
          "is in use by another llm-batch process: give each process its own DATA_DIR"
        )
      }).pipe(Effect.provide(jobsLayer({ DATA_DIR: dir })))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("MCP over stdio's services start without jobs then, and a job call says why; an estimate still answers", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const dir = yield* tempDir
      const env = { LOG_LEVEL: "None", ...fakeEnvironment(upstream.url), DATA_DIR: dir }
      const withoutJobs = Layer.fresh(ServicesWithJobsIfAvailableLayer.pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      ))
      yield* Effect.gen(function*() {
        const exit = yield* Effect.gen(function*() {
          return yield* (yield* Jobs).submit(jobRequest(questions(1)), "")
        }).pipe(Effect.provide(withoutJobs), Effect.exit)
        expect(Exit.isFailure(exit) && String(exit.cause)).toContain("batch jobs are unavailable on this service")
        // It needs no store.
        const estimate = yield* Effect.gen(function*() {
          return yield* (yield* Jobs).estimate(jobRequest(questions(2)))
        }).pipe(Effect.provide(withoutJobs))
        expect(estimate.questions).toBe(2)
      }).pipe(Effect.provide(jobsLayer({ DATA_DIR: dir })))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("a store file with damaged pages is refused at startup, naming the file and what to do", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* seedFinishedJob(dir, 3_000)
      // Garbage over a page in the middle of the file (its results' pages), as a bad disk sector leaves it.
      const file = sqliteFile(dir)
      const pages = Math.floor(statSync(file).size / 4096)
      const handle = openSync(file, "r+")
      writeSync(handle, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(pages / 2) * 4096)
      closeSync(handle)
      const exit = yield* Effect.exit(Layer.build(jobsLayer({ DATA_DIR: dir })).pipe(Effect.scoped))
      const message = Exit.isFailure(exit) ? String(exit.cause) : ""
      expect(message).toContain(`the batch job store ${file} is damaged (`)
      expect(message).toContain("move that file away")
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("a DATA_DIR that cannot be created is refused with what to do", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "a-file")
      writeFileSync(file, "")
      const exit = yield* Effect.exit(Layer.build(jobsLayer({ DATA_DIR: join(file, "data") })).pipe(Effect.scoped))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("set DATA_DIR to a writable directory")
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
