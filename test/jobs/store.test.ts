/**
 * The embedded store belongs to one process: a second one on the same DATA_DIR would run every
 * job twice. The server refuses to start; MCP over stdio (often started by a host next to a
 * running server) starts without jobs and its job tools say why.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Jobs } from "../../src/jobs/Jobs.ts"
import { ServicesWithJobsIfAvailableLayer } from "../../src/services.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
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

  it.live("MCP over stdio's services start without jobs then, and a job call says why", () =>
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
      }).pipe(Effect.provide(jobsLayer({ DATA_DIR: dir })))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("a DATA_DIR that cannot be created is refused with what to do", () =>
    Effect.gen(function*() {
      const file = join(yield* tempDir, "a-file")
      writeFileSync(file, "")
      const exit = yield* Effect.exit(Layer.build(jobsLayer({ DATA_DIR: join(file, "data") })).pipe(Effect.scoped))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("set DATA_DIR to a writable directory")
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
