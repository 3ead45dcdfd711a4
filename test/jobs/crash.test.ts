/**
 * The durability claim, against the real process: `kill -9` the service twice while a job runs,
 * start it again on the same DATA_DIR each time, and the job completes by itself, every question
 * answered once; only the questions in flight at a kill (asked, no result stored yet) are asked
 * again.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { DatabaseSync } from "node:sqlite"
import { sqliteFile } from "../../src/jobs/database.ts"
import { scratchDataDir } from "../support/dataDir.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { type RunningService, startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const total = 2000

const http = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, text: await response.text() }
  })

/** Waits (polling, bounded by the test's timeout) until `ready` holds. */
const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    while (!ready()) yield* Effect.sleep("10 millis")
  })

const kill = (service: RunningService) =>
  Effect.promise(() =>
    new Promise<void>((resolve) => {
      service.child.once("exit", () => resolve())
      service.child.kill("SIGKILL")
    })
  )

/** The question indexes with a stored result, read from the store while no service holds it. */
const recorded = (dataDir: string, jobId: string): ReadonlySet<number> => {
  const db = new DatabaseSync(sqliteFile(dataDir))
  try {
    const rows = db.prepare("SELECT idx FROM llm_batch_results WHERE job_id = ?").all(jobId)
    return new Set(rows.map((row) => Number(row.idx)))
  } finally {
    db.close()
  }
}

describe("a job survives kill -9", () => {
  it.live("killed twice, it completes with every result, asking again only what was in flight", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 100 })
      const dataDir = yield* scratchDataDir
      const env = { ...fakeEnvironment(upstream.url), DATA_DIR: dataDir }
      const indexOf = (prompt: string) => Number(prompt.slice("question ".length))

      let service = yield* startService(env)
      const questions = Array.from({ length: total }, (_, i) => ({ index: i + 1, question: `question ${i + 1}` }))
      const submitted = yield* http(`${service.url}/batches`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ questions })
      })
      expect(submitted.status, submitted.text).toBe(202)
      const jobId: string = JSON.parse(submitted.text).id

      // Questions asked before a kill whose result was not stored yet: the only ones that may be asked twice.
      let inFlightAtKills = 0
      const resumeLatencies: Array<number> = []
      // For each kill: how many calls the upstream had seen, and the questions stored by then.
      const kills: Array<{ readonly callsBefore: number; readonly stored: ReadonlySet<number> }> = []
      for (const killAt of [0.3, 0.65]) {
        yield* until(() => upstream.requests.length >= total * killAt)
        yield* kill(service)
        const asked = new Set(upstream.requests.map((request) => indexOf(request.prompt)))
        const stored = recorded(dataDir, jobId)
        expect(stored.size).toBeGreaterThan(0)
        inFlightAtKills += [...asked].filter((index) => !stored.has(index)).length
        const callsBefore = upstream.requests.length

        const restarted = performance.now()
        service = yield* startService(env)
        yield* until(() => upstream.requests.length > callsBefore)
        resumeLatencies.push(performance.now() - restarted)
        kills.push({ callsBefore, stored })
      }

      let job = JSON.parse((yield* http(`${service.url}/batches/${jobId}`)).text)
      while (job.status !== "completed") {
        expect(["queued", "running"]).toContain(job.status)
        yield* Effect.sleep("100 millis")
        job = JSON.parse((yield* http(`${service.url}/batches/${jobId}`)).text)
      }
      expect(job.counts).toEqual({ total, succeeded: total, failed: 0, pending: 0 })

      const lines = (yield* http(`${service.url}/batches/${jobId}/results`)).text.trim().split("\n")
      const indexes = lines.map((line) => JSON.parse(line).index)
      expect(new Set(indexes).size).toBe(total)
      expect(indexes.length).toBe(total)

      // Nothing stored before a kill was asked again after it.
      for (const { callsBefore, stored } of kills) {
        const askedAfter = upstream.requests.slice(callsBefore).map((request) => indexOf(request.prompt))
        expect(askedAfter.filter((index) => stored.has(index))).toEqual([])
      }
      expect(upstream.requests.length).toBeLessThanOrEqual(total + inFlightAtKills)
      // Every question was asked at least once, and only the ones in flight at a kill more than once.
      expect(new Set(upstream.requests.map((request) => indexOf(request.prompt))).size).toBe(total)
      console.log(`kill test: ${upstream.requests.length} calls for ${total} questions, ${inFlightAtKills} in flight at the kills; first new call ${resumeLatencies.map((ms) => Math.round(ms))} ms after each restart`)
      // Generous: a restart resumes in about a second on this machine.
      for (const latency of resumeLatencies) expect(latency).toBeLessThan(10_000)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
