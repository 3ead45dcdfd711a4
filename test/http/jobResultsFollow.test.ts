/**
 * `GET /batches/{id}/results?follow=true` answers at once (status line and headers) even while no
 * question has a result, and a store that fails mid-stream ends the body with a JSON error line.
 */
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { scratchPostgresDatabase } from "../support/postgres.ts"
import { TestServer } from "../support/TestServer.ts"
import { submitJob } from "../support/jobs.ts"
import { freePortPromise } from "../support/ports.ts"

/** The body as far as it came, and whether it ended cleanly or was cut. */
const readBody = (response: Response) =>
  Effect.promise(async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ""
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value
      return { text, cut: false }
    } catch {
      return { text, cut: true }
    }
  })

/** Opens the follow stream; gives the response once its headers have come. */
const follow = (url: string, signal: AbortSignal) =>
  Effect.promise(() => fetch(url, { signal }))

describe("following a job's results", () => {
  it.live("answers 200 with its headers before any question has a result", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      upstream.always("held", { delayMs: 60_000 })
      const job = yield* submitJob({ questions: [{ index: 1, question: "held" }] })
      const abort = new AbortController()
      const response = yield* follow(`${server.url}/batches/${job.id}/results?follow=true`, abort.signal).pipe(
        Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.die("no headers within 10 s while the job had no result") })
      )
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toContain("application/x-ndjson")
      expect(upstream.callsFor("held").length).toBeLessThanOrEqual(1)
      abort.abort()
      yield* Effect.promise(() => fetch(`${server.url}/batches/${job.id}/cancel`, { method: "POST" }))
    }).pipe(Effect.provide(TestServer.layer())), 30_000)

  it.live("ends the body with a JSON error line when the store fails mid-stream", () =>
    Effect.gen(function*() {
      const url = yield* scratchPostgresDatabase("llm_batch_follow")
      yield* Effect.gen(function*() {
        const server = yield* TestServer
        const upstream = yield* FakeUpstream
        upstream.always("held", { delayMs: 60_000 })
        const job = yield* submitJob({ questions: [{ index: 1, question: "held" }] })
        const response = yield* follow(`${server.url}/batches/${job.id}/results?follow=true`, new AbortController().signal)
        expect(response.status).toBe(200)
        // The results table goes away under the reader: its next read fails.
        const database = (statement: string) =>
          Effect.gen(function*() {
            const sql = yield* SqlClient
            yield* sql.unsafe(statement)
          }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.orDie)
        yield* database("ALTER TABLE llm_batch_results RENAME TO llm_batch_results_gone")
        const body = yield* readBody(response)
        yield* database("ALTER TABLE llm_batch_results_gone RENAME TO llm_batch_results")
        const lines = body.text.split("\n").filter((line) => line.trim() !== "")
        expect(lines.map((line) => JSON.parse(line))).toEqual([{ error: expect.stringContaining("failed mid-stream") }])
        // Cut, not ended: a reader cannot take it for the whole answer.
        expect(body.cut).toBe(true)
        yield* Effect.promise(() => fetch(`${server.url}/batches/${job.id}/cancel`, { method: "POST" }))
        // A runner port of its own: another file's cluster on the default port made this one's unhealthy.
      }).pipe(Effect.provide(TestServer.layer({ DATABASE_URL: url, RUNNER_PORT: String(yield* Effect.promise(freePortPromise)) })))
    }).pipe(Effect.scoped), 60_000)
})
