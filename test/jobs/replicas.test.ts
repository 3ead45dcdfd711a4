/**
 * Replicas on one PostgreSQL database, as real processes: a job's chunks spread over them, any
 * replica answers for any job, and when one is `kill -9`ed the others take its chunks over, every
 * question answered once and only the killed replica's calls in flight asked again.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { createServer, type Server } from "node:net"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import {
  clusterSettled,
  jobResults,
  kill,
  postgresDatabase,
  replicaOf,
  startReplicas,
  submitJob,
  until,
  waitForJobEnd
} from "../support/replicas.ts"
import { jobsLayer } from "./support.ts"

const total = 1500
const llmConcurrency = 8

const questions = Array.from({ length: total }, (_, i) => ({ index: i + 1, question: `question ${i + 1}` }))
const indexOf = (prompt: string) => Number(prompt.slice("question ".length))

describe("three replicas", () => {
  it.live("spread a job, survive kill -9 of one, and answer every question once", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("question", { delayMs: 30 })
      const url = yield* postgresDatabase
      const [a, b, c] = yield* startReplicas(upstream, url, 3, {
        LLM_CONCURRENCY: String(llmConcurrency),
        JOB_CHUNK_SIZE: "50",
        JOB_CHUNK_CONCURRENCY: "6"
      })
      // Submitted once the shards have stopped moving between the new replicas (see clusterSettled).
      yield* clusterSettled(url, 3)
      const started = performance.now()
      const id = yield* submitJob(a!, questions)

      // Mid-job, with every replica at work: kill the one the job was not submitted to nor read from.
      yield* until(() => upstream.requests.length >= total / 3)
      const busy = new Set(upstream.requests.map(replicaOf))
      expect(busy.size, `replicas at work: ${[...busy]}`).toBeGreaterThan(1)
      yield* kill(c!)
      const killed = performance.now()
      const askedBeforeKill = upstream.requests.filter((request) => replicaOf(request) === c!.name)
      const inFlight = new Set(askedBeforeKill.map((request) => request.prompt))
      // Its chunks are taken over once a survivor asks one of its questions in flight again (if it
      // had any without a result: it may have been between two chunks).
      const takenOver = yield* until(() =>
        upstream.requests.some((request) => replicaOf(request) !== c!.name && inFlight.has(request.prompt))
      ).pipe(Effect.map(() => performance.now()), Effect.timeoutOption("20 seconds"))

      const job = yield* waitForJobEnd(b!, id)
      expect(job.status).toBe("completed")
      expect(job.counts).toEqual({ total, succeeded: total, failed: 0, pending: 0 })
      const results = yield* jobResults(b!, id)
      expect(results.length).toBe(total)
      expect(new Set(results.map((result) => result.index)).size).toBe(total)

      // The work spread: more calls at once than one replica may make.
      expect(upstream.peakInFlight).toBeGreaterThan(llmConcurrency)
      // Asked twice: only what the killed replica had in flight (at most its LLM_CONCURRENCY).
      const asked = upstream.requests.map((request) => indexOf(request.prompt))
      expect(new Set(asked).size).toBe(total)
      const repeated = asked.length - total
      expect(repeated).toBeLessThanOrEqual(llmConcurrency)
      const firstAskedBy = new Map<number, string>()
      for (const request of upstream.requests) {
        const index = indexOf(request.prompt)
        if (firstAskedBy.has(index)) expect(firstAskedBy.get(index), `question ${index} asked again`).toBe(c!.name)
        else firstAskedBy.set(index, replicaOf(request))
      }
      const byReplica = Object.groupBy(upstream.requests, replicaOf)
      console.log(
        `replicas test: peak ${upstream.peakInFlight} calls at once; calls per replica ${
          Object.entries(byReplica).map(([name, calls]) => `${name} ${calls?.length}`).join(", ")
        } (${c!.name} killed after ${askedBeforeKill.length}); ${repeated} asked again; ` +
          `taken over ${Option.match(takenOver, { onNone: () => "(nothing in flight)", onSome: (at) => `${Math.round(at - killed)} ms` })} after the kill; job ${Math.round(performance.now() - started)} ms`
      )
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 90_000)

  it.live("a replica whose RUNNER_PORT is taken stops at startup, saying what to set", () =>
    Effect.gen(function*() {
      const url = yield* postgresDatabase
      const taken = yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<Server>((resolve) => {
          const server = createServer()
          server.listen(0, "127.0.0.1", () => resolve(server))
        })),
        (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      )
      const address = taken.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const exit = yield* Effect.exit(
        Layer.build(jobsLayer({ DATABASE_URL: url, RUNNER_PORT: String(port) })).pipe(Effect.scoped)
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const message = String(Exit.isFailure(exit) && exit.cause)
      expect(message).toContain(`cannot listen for the other replicas on RUNNER_HOST 127.0.0.1, RUNNER_PORT ${port}`)
      // The OS's error, not the socket reason's tag "(Open)", and what to do about it.
      expect(message).toContain(`(listen EADDRINUSE: address already in use 127.0.0.1:${port})`)
      expect(message).toContain(`another process holds port ${port}: stop it, or give this process a free RUNNER_PORT`)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 30_000)
})
