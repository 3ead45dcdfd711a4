/**
 * The batch lane across replicas on PostgreSQL, as real processes: the replica polling a job's
 * provider batch is `kill -9`ed, and the other takes the job's chunk over, attaches to the stored
 * batch instead of sending it again, and finishes the job, one result per question.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import {
  clusterSettled,
  jobResults,
  jobStatus,
  kill,
  postgresDatabase,
  startReplicas,
  submitJob,
  until,
  waitForJobEnd
} from "../support/replicas.ts"

const total = 3

/** The replica a batch-API call came from (each reaches the fake upstream under `/replica-<i>`). */
const callerOf = (call: { readonly path: string }) => /^\/(replica-\d+)\//.exec(call.path)?.[1] ?? "unknown"

describe("two replicas on the batch lane", () => {
  it.live("the one polling a provider batch is killed: the other finishes the job without sending it again", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Pending until the test says otherwise: across the kill and the survivor's first read.
      upstream.batches.turnaround = { ms: 600_000 }
      const url = yield* postgresDatabase
      const replicas = yield* startReplicas(upstream, url, 2, { BATCH_POLL_INTERVAL_MS: "100", BATCH_COLLECT_MS: "50" })
      yield* clusterSettled(url, 2)
      const started = performance.now()
      const questions = Array.from({ length: total }, (_, i) => ({ index: i + 1, question: `question ${i + 1}` }))
      const id = yield* submitJob(replicas[0]!, questions, { lane: "batch" })

      // The batch is accepted and its id stored: the replica that sent it is the one polling it.
      yield* until(() => upstream.batches.created.length === 1)
      let shown = yield* jobStatus(replicas[0]!, id)
      while (shown.provider_batches[0]?.id == null) {
        yield* Effect.sleep("20 millis")
        shown = yield* jobStatus(replicas[0]!, id)
      }
      const batch = upstream.batches.created[0]!
      expect(shown.provider_batches[0]!.id).toBe(batch.id)
      const sender = callerOf(upstream.batches.calls.find((call) => call.route === "openai.batches.create")!)
      const poller = replicas.find((replica) => replica.name === sender)!
      const survivor = replicas.find((replica) => replica.name !== sender)!
      yield* kill(poller)
      const killed = performance.now()
      expect(batch.phase).not.toBe("ended")
      const callsAtKill = upstream.batches.calls.length

      // Taken over once the survivor reads the batch, still pending; then it may end.
      const readSinceKill = () =>
        upstream.batches.calls.slice(callsAtKill)
          .some((call) => call.route === "openai.batches.retrieve" && call.path.endsWith(`/${batch.id}`))
      yield* until(() => readSinceKill() || upstream.batches.created.length > 1)
      const takenOver = performance.now()
      expect(upstream.batches.created.slice(1).map((created) => created.customIds), "sent again by the survivor").toEqual([])
      expect(batch.phase).toBe("running")
      upstream.batches.turnaround = { retrieves: 1 }
      const job = yield* waitForJobEnd(survivor, id)
      expect(job.status).toBe("completed")
      expect(job.counts).toEqual({ total, succeeded: total, failed: 0, pending: 0 })
      const results = yield* jobResults(survivor, id)
      expect(results.map((result) => result.index).toSorted()).toEqual([1, 2, 3])
      expect(results.every((result) => result.status === "success" && result.lane === "batch")).toBe(true)

      // One batch, sent once, by the killed replica; polled to its end by the survivor alone.
      expect(upstream.batches.batchesCreated).toEqual({ openai: 1, anthropic: 0 })
      expect(upstream.batches.created.map((created) => created.customIds)).toEqual([[1, 2, 3].map((index) => `${id}-${index}-1`)])
      expect(new Set(upstream.batches.calls.slice(callsAtKill).map(callerOf))).toEqual(new Set([survivor.name]))
      expect(upstream.requests.filter((request) => request.batchId === undefined)).toHaveLength(0)
      expect(job.provider_batches.map((shownBatch) => [shownBatch.id, shownBatch.status, shownBatch.succeeded]))
        .toEqual([[batch.id, "ended", total]])
      console.log(
        `batch lane replicas test: ${sender} killed with its batch pending; ${survivor.name} read it ` +
          `${Math.round(takenOver - killed)} ms after the kill; job ${Math.round(performance.now() - started)} ms`
      )
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
