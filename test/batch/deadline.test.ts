/**
 * The batch deadline (BATCH_TIMEOUT_MS): questions still running when it passes end as errors that
 * keep the upstream attempts they made; the others keep their answers.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

describe("batch deadline", () => {
  it.live("a question interrupted by the deadline reports the attempts it made", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Two transient failures (retried), then an attempt that never ends.
      upstream.script("stuck", { status: 503 }, { status: 503 }, { delayMs: 600_000 })
      const response = yield* askBatch({
        questions: [{ index: 1, question: "quick" }, { index: 2, question: "stuck" }]
      })
      expect(response.results[0]).toMatchObject({ index: 1, status: "success", attempts: 1 })
      expect(response.results[1]).toMatchObject({ index: 2, status: "error", attempts: 3 })
      expect(response.results[1]!.error_message).toContain("BATCH_TIMEOUT_MS")
      expect(upstream.callsFor("stuck")).toHaveLength(3)
    }).pipe(Effect.provide(TestServer.layer({ BATCH_TIMEOUT_MS: "1500" }))), 30_000)
})
