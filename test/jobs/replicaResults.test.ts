/**
 * End to end on two replicas writing one job's results at once (PostgreSQL): `llm-batch submit
 * --wait` on one replica and `?follow=true` on the other each get every result exactly once, and
 * so does a plain read afterwards.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { parseResults } from "../support/jobs.ts"
import { clusterSettled, http, jobResults, postgresDatabase, startReplicas } from "../support/replicas.ts"

const total = 1500
const oneToN = Array.from({ length: total }, (_, i) => i + 1)
const indexes = (results: ReadonlyArray<{ readonly index: number }>) => results.map((result) => result.index)
const sorted = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)

describe("two replicas writing one job's results", () => {
  it.live("submit --wait, a follower on the other replica and a plain read each hold every index once", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 5 })
      const url = yield* postgresDatabase
      const [a, b] = yield* startReplicas(upstream, url, 2, { LLM_CONCURRENCY: "16", JOB_CHUNK_SIZE: "50" })
      yield* clusterSettled(url, 2)
      const input = oneToN.map((i) => JSON.stringify({ index: i, question: `question ${i}` })).join("\n") + "\n"
      const waited = yield* Effect.forkChild(runCli(["submit", "-", "--wait"], { env: { LLM_BATCH_URL: a!.url }, stdin: input }))
      // The job, as the other replica lists it once stored.
      let id: string | undefined
      while (id === undefined) {
        const listed = JSON.parse((yield* http(`${b!.url}/batches?limit=1`)).text) as { data: Array<{ id: string }> }
        id = listed.data[0]?.id
        if (id === undefined) yield* Effect.sleep("50 millis")
      }
      const followed = parseResults((yield* http(`${b!.url}/batches/${id}/results?follow=true`)).text)
      const run = yield* Fiber.join(waited)
      expect(run.code, run.stderr).toBe(0)
      const printed = parseResults(run.stdout)
      const read = yield* jobResults(a!, id)
      for (const [reader, results] of [["submit --wait", printed], ["follow", followed], ["plain read", read]] as const) {
        expect(results.length, reader).toBe(total)
        expect(sorted(indexes(results)), reader).toEqual(oneToN)
      }
      console.log(`replica results: ${new Set(upstream.requests.map((request) => request.path.split("/")[1])).size} replicas asked`)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 240_000)
})
