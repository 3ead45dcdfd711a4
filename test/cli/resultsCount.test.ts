/**
 * The CLI checks the results it received against the job's own counts: a service that streams
 * fewer results than the job holds makes `submit --wait` and `results` fail (exit 3) naming how
 * many are missing, after printing what came. The service here is a stand-in that loses one.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, type Server } from "node:http"
import { successResult } from "../../src/batch/question.ts"
import type { Job } from "../../src/domain/Job.ts"
import { runCli } from "../support/Cli.ts"

const id = "batch_short"
const job = (status: Job["status"], pending: number): Job => ({
  id,
  status,
  created_at: "2026-12-07T00:00:00.000Z",
  started_at: null,
  finished_at: null,
  counts: { total: 3, succeeded: 3 - pending, failed: 0, pending },
  usage: { prompt_tokens: 0, completion_tokens: 0 },
  cost_usd: null,
  metadata: {},
  lane: "sync",
  provider_batches: []
})
const result = (index: number) => successResult(index, "openai/gpt-4o-mini", { result: "ok", confidence: null, finishReason: null })

/** Answers like llm-batch for a completed job of 3 questions, but its results stream holds only 2. */
const lossyService = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<Server>((resolve) => {
      const server = createServer((request, response) => {
        const send = (status: number, type: string, body: string) => {
          response.writeHead(status, { "content-type": type })
          response.end(body)
        }
        if (request.method === "POST") return send(202, "application/json", JSON.stringify(job("queued", 3)))
        if (request.url?.startsWith(`/batches/${id}/results`)) {
          return send(200, "application/x-ndjson", `${JSON.stringify(result(1))}\n${JSON.stringify(result(3))}\n`)
        }
        return send(200, "application/json", JSON.stringify({ ...job("completed", 0), finished_at: "2026-12-07T00:00:01.000Z" }))
      })
      server.listen(0, "127.0.0.1", () => resolve(server))
    })
  ),
  (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
).pipe(Effect.map((server) => {
  const address = server.address()
  return `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
}))

describe("a results stream that lost a result", () => {
  it.live("fails submit --wait and results (exit 3) naming the missing count, after printing what came", () =>
    Effect.gen(function*() {
      const url = yield* lossyService
      const [waited, read] = yield* Effect.all([
        runCli(["submit", "-", "--wait"], { env: { LLM_BATCH_URL: url }, stdin: '{"question": "a"}\n{"question": "b"}\n{"question": "c"}\n' }),
        runCli(["results", id, "--follow"], { env: { LLM_BATCH_URL: url } })
      ], { concurrency: "unbounded" })
      for (const run of [waited, read]) {
        expect(run.code, run.stderr).toBe(3)
        expect(run.stderr).toContain(`received 2 of the 3 results of ${id} (1 missing)`)
        expect(run.stdout.trim().split("\n").map((text) => JSON.parse(text).index)).toEqual([1, 3])
      }
    }).pipe(Effect.scoped), 120_000)
})
