/**
 * The batch lane's durability claim against the real process: a provider batch stored with its id
 * survives `kill -9` of the service polling it. Started again on the same DATA_DIR, the job
 * attaches to the batches it had sent, polls them to their end and completes, one result per
 * question, every one from a provider batch, and no line is ever sent to the provider twice.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Job } from "../../src/domain/Job.ts"
import { scratchDataDir } from "../support/dataDir.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { jobResults, jobStatus, kill, submitJob, until, waitForJobEnd } from "../support/replicas.ts"
import { startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const fast = { BATCH_POLL_INTERVAL_MS: "100", BATCH_COLLECT_MS: "50" }

/** The job as shown, once `ready` holds of it (polling, bounded by the test's timeout). */
const jobWhen = (url: string, id: string, ready: (job: Job) => boolean) =>
  Effect.gen(function*() {
    while (true) {
      const job = yield* jobStatus({ url }, id)
      if (ready(job)) return job
      yield* Effect.sleep("50 millis")
    }
  })

describe("the batch lane survives kill -9", () => {
  it.live("killed while its provider batches are pending, it resumes them on restart and sends none again", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("Capital of France", { text: "Paris" })
      // Pending until the test says otherwise: across the kill and the restarted service's first reads.
      upstream.batches.turnaround = { ms: 600_000 }
      const dataDir = yield* scratchDataDir
      const env = { ...fakeEnvironment(upstream.url), DATA_DIR: dataDir, ...fast }

      const first = yield* startService(env)
      const id = yield* submitJob(first, [
        { index: 1, question: "Capital of France?", model: "openai/gpt-4o-mini" },
        { index: 2, question: "Capital of Italy?", model: "anthropic/claude-haiku-4-5" },
        { index: 3, question: "River of {Q1_result}?", model: "openai/gpt-4o-mini" },
        { index: 4, question: "Independent one", model: "openai/gpt-4o-mini" }
      ], { lane: "batch" })

      // The first wave's two batches (one per provider) accepted, their ids stored: then the kill.
      const sent = yield* jobWhen(first.url, id, (job) =>
        job.provider_batches.length === 2 && job.provider_batches.every((batch) => batch.id !== null))
      yield* kill(first)
      const firstWave = [...upstream.batches.created]
      const sentIds = sent.provider_batches.map((batch) => batch.id!)
      expect(firstWave.map((batch) => batch.id).toSorted()).toEqual(sentIds.toSorted())
      expect(firstWave.filter((batch) => batch.phase === "ended")).toEqual([])
      const callsBeforeRestart = upstream.batches.calls.length
      const readSinceRestart = (batchId: string) =>
        upstream.batches.calls.slice(callsBeforeRestart)
          .some((call) => call.route.endsWith(".retrieve") && call.path.endsWith(`/${batchId}`))

      const restarted = performance.now()
      const second = yield* startService(env)
      // The restarted service polls both batches while they are still pending; then they may end.
      // (Nothing else may be sent meanwhile: the second wave waits for the first.)
      yield* until(() => sentIds.every(readSinceRestart) || upstream.batches.created.length > 2)
      const resumed = performance.now()
      expect(upstream.batches.created.slice(2).map((batch) => batch.customIds), "sent again after the restart").toEqual([])
      expect(firstWave.map((batch) => batch.phase)).toEqual(["running", "running"])
      upstream.batches.turnaround = { retrieves: 1 }

      const job = yield* waitForJobEnd(second, id)
      expect(job.status).toBe("completed")
      expect(job.counts).toEqual({ total: 4, succeeded: 4, failed: 0, pending: 0 })
      const results = yield* jobResults(second, id)
      expect(results.map((result) => result.index).toSorted()).toEqual([1, 2, 3, 4])
      expect(results.every((result) => result.status === "success" && result.lane === "batch")).toBe(true)
      expect(results.find((result) => result.index === 3)?.result).toBe("answer to: River of Paris?")

      // Three batches in all, each line in exactly one: the first wave's two, sent before the kill,
      // and the second wave's (question 3), sent by the restarted service once question 1 had its answer.
      expect(upstream.batches.batchesCreated).toEqual({ openai: 2, anthropic: 1 })
      expect(upstream.batches.created.slice(0, 2)).toEqual(firstWave)
      expect(upstream.batches.created[2]!.customIds).toEqual([`${id}-3-1`])
      const customIds = upstream.batches.created.flatMap((batch) => batch.customIds)
      expect(customIds.toSorted()).toEqual([1, 2, 3, 4].map((index) => `${id}-${index}-1`))
      // No question went the sync way.
      expect(upstream.requests.filter((request) => request.batchId === undefined)).toHaveLength(0)
      const shown = job.provider_batches.map((batch) =>
        `${batch.wave} ${batch.provider} ${batch.status} ${batch.succeeded}/${batch.requests}`
      )
      expect(shown.toSorted()).toEqual(["1 anthropic ended 1/1", "1 openai ended 2/2", "2 openai ended 1/1"])
      console.log(
        `batch lane kill test: both pending batches read ${Math.round(resumed - restarted)} ms after the restart ` +
          `(the service's start included); job done ${Math.round(performance.now() - restarted)} ms after it`
      )
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
