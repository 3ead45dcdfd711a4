/**
 * A page of the embedded store damaged while the service runs (a bad sector after the startup
 * check passed): a reader of the job's results is told what is wrong and what to do, on the
 * stream's last line, instead of a generic failure (issue 23).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { closeSync, openSync, statSync, writeSync } from "node:fs"
import { get } from "node:http"
import { sqliteFile } from "../../src/jobs/database.ts"
import { scratchDataDir } from "../support/dataDir.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { seedFinishedJob } from "../support/seedJob.ts"
import { TestServer } from "../support/TestServer.ts"

/** The body as received until the service ends or cuts it (a failed stream is cut after its error line). */
const bodyUntilCut = (url: string) =>
  Effect.promise(() =>
    new Promise<string>((resolve, reject) => {
      get(url, (response) => {
        let text = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => (text += chunk))
        response.on("close", () => resolve(text))
      }).on("error", reject)
    })
  )

describe("a store damaged while the service runs", () => {
  it.live("a results reader's last line names the damaged store and what to do", () =>
    Effect.gen(function*() {
      const dir = yield* scratchDataDir
      // Big enough (~20 MB) that SQLite's 2 MB page cache no longer holds the middle of the file
      // once the startup check has read it all.
      const id = yield* seedFinishedJob(dir, 50_000)
      yield* Effect.gen(function*() {
        const server = yield* TestServer
        // Garbage over a page in the middle of the file (its results' pages), after the startup check.
        const file = sqliteFile(dir)
        const pages = Math.floor(statSync(file).size / 4096)
        const handle = openSync(file, "r+")
        writeSync(handle, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(pages / 2) * 4096)
        closeSync(handle)
        const lines = (yield* bodyUntilCut(`${server.url}/batches/${id}/results`)).trim().split("\n")
        const last = JSON.parse(lines.at(-1)!) as { readonly error?: string }
        expect(lines.length).toBeLessThan(50_000)
        expect(last.error).toContain("the batch job store (DATA_DIR's llm-batch.sqlite) is damaged (")
        expect(last.error).toContain("move that file away")
      }).pipe(Effect.provide(TestServer.layerOn({ DATA_DIR: dir, LOG_LEVEL: "None" })))
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
