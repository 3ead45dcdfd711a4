/**
 * Cancel across replicas: a job submitted to one replica and cancelled through the other stops on
 * both, though each replica can stop only its own chunks directly (the other notices the job's
 * status in the store).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import {
  clusterSettled,
  http,
  jobResults,
  postgresDatabase,
  replicaOf,
  startReplicas,
  submitJob,
  until
} from "../support/replicas.ts"

const total = 200

describe("two replicas", () => {
  it.live("a job cancelled through one replica stops its calls on both", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Longer than the test waits for the cancel to land: a call that ends did so by being aborted.
      upstream.always("question", { delayMs: 30_000 })
      const url = yield* postgresDatabase
      const [a, b] = yield* startReplicas(upstream, url, 2, {
        LLM_CONCURRENCY: "4",
        JOB_CHUNK_SIZE: "5",
        JOB_CHUNK_CONCURRENCY: "8"
      })
      yield* clusterSettled(url, 2)
      const questions = Array.from({ length: total }, (_, i) => ({ index: i + 1, question: `question ${i + 1}` }))
      const id = yield* submitJob(a!, questions)
      yield* until(() => new Set(upstream.requests.map(replicaOf)).size === 2)

      const cancelled = yield* http(`${b!.url}/batches/${id}/cancel`, { method: "POST" })
      expect(cancelled.status, cancelled.text).toBe(200)
      expect(JSON.parse(cancelled.text).status).toBe("cancelled")

      // Every call in flight, on either replica, is aborted (the other replica within about a second).
      yield* until(() => upstream.aborted === upstream.requests.length).pipe(
        Effect.timeoutOrElse({
          duration: "10 seconds",
          orElse: () =>
            Effect.die(`${upstream.requests.length - upstream.aborted} calls were still in flight 10 s after the cancel`)
        })
      )
      const asked = upstream.requests.length
      const results = yield* jobResults(a!, id)
      expect(results.length).toBe(total)
      expect(new Set(results.map((result) => result.index)).size).toBe(total)
      expect(results.every((result) => result.status === "error" && result.error_message === "cancelled")).toBe(true)
      // Nothing was sent after.
      yield* Effect.sleep("1500 millis")
      expect(upstream.requests.slice(asked).map((request) => `${replicaOf(request)} ${request.prompt}`)).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
