/**
 * The narrowest window of the batch lane, against the real process: `kill -9` after the provider
 * accepted a batch but before the service heard its id (the row still `submitting`). Restarted on
 * the same DATA_DIR, the job finds an OpenAI batch again by the tag it was sent with and polls it,
 * sending nothing twice; an Anthropic batch (no tag to search by) is marked failed, saying so, and
 * its lines go in a new batch (docs/jobs.md, *Batch lane*).
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

describe("the batch lane killed while sending a batch", () => {
  it.live("finds the OpenAI batch the provider had accepted, and sends the lost Anthropic one's lines again", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      let release = () => {}
      upstream.batches.held = {
        routes: ["openai.batches.create", "anthropic.batches.create"],
        release: new Promise<void>((resolve) => (release = resolve))
      }
      const dataDir = yield* scratchDataDir
      const env = { ...fakeEnvironment(upstream.url), DATA_DIR: dataDir, ...fast }

      const first = yield* startService(env)
      const id = yield* submitJob(first, [
        { index: 1, question: "question 1", model: "openai/gpt-4o-mini" },
        { index: 2, question: "question 2", model: "openai/gpt-4o-mini" },
        { index: 3, question: "question 3", model: "anthropic/claude-haiku-4-5" }
      ], { lane: "batch" })

      // Both providers created their batch; neither answer reached the service.
      yield* until(() => upstream.batches.created.length === 2)
      const before: Job = yield* jobStatus(first, id)
      expect(before.provider_batches.map((batch) => [batch.status, batch.id])).toEqual([["submitting", null], ["submitting", null]])
      yield* kill(first)
      upstream.batches.held = undefined
      release()
      const [openai, anthropic] = (["openai", "anthropic"] as const).map((protocol) =>
        upstream.batches.created.find((batch) => batch.protocol === protocol)!
      )

      const second = yield* startService(env)
      const job = yield* waitForJobEnd(second, id)
      expect(job.status).toBe("completed")
      expect(job.counts).toEqual({ total: 3, succeeded: 3, failed: 0, pending: 0 })
      const results = yield* jobResults(second, id)
      expect(results.map((result) => result.index).toSorted()).toEqual([1, 2, 3])
      expect(results.every((result) => result.status === "success" && result.lane === "batch")).toBe(true)

      // OpenAI: found by its tag and polled to its end; never sent again.
      expect(upstream.batches.batchesCreated.openai).toBe(1)
      expect(openai!.customIds).toEqual([`${id}-1-1`, `${id}-2-1`])
      const shownOpenAi = job.provider_batches.filter((batch) => batch.provider === "openai")
      expect(shownOpenAi.map((batch) => [batch.id, batch.status, batch.succeeded])).toEqual([[openai!.id, "ended", 2]])
      // Anthropic: the lost batch is failed, saying why; its line went again, as its next attempt.
      expect(upstream.batches.batchesCreated.anthropic).toBe(2)
      expect(upstream.batches.created.filter((batch) => batch.protocol === "anthropic").map((batch) => batch.customIds))
        .toEqual([[`${id}-3-1`], [`${id}-3-2`]])
      const shownAnthropic = job.provider_batches.filter((batch) => batch.provider === "anthropic")
      expect(shownAnthropic.map((batch) => [batch.id, batch.status])).toEqual([[null, "failed"], [expect.any(String), "ended"]])
      expect(shownAnthropic[0]!.id).not.toBe(anthropic!.id)
      expect(shownAnthropic[0]!.error).toContain("the process stopped while sending this batch")
      expect(upstream.requests.filter((request) => request.batchId === undefined)).toHaveLength(0)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
