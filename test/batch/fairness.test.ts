/**
 * Upstream slots (LLM_CONCURRENCY) are shared fairly between the batches in flight, callers
 * first when auth is on, and no batch holds more than BATCH_CONCURRENCY of them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { askBatch } from "../support/ask.ts"
import type { FakeUpstreamState } from "../support/FakeUpstream.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const batchOf = (size: number, prefix: string) => ({
  questions: Array.from({ length: size }, (_, i) => ({ index: i + 1, question: `${prefix} ${i + 1}` }))
})

/** Waits (bounded) until the upstream has received what `ready` asks for. */
const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    for (let tries = 0; tries < 1_000 && !ready(); tries++) yield* Effect.sleep(5)
    expect(ready()).toBe(true)
  })

/** How many requests whose prompt contains `match` the upstream received before the first one containing `before`. */
const receivedBefore = (upstream: FakeUpstreamState, match: string, before: string) => {
  const position = upstream.requests.findIndex((request) => request.prompt.includes(before))
  return upstream.requests.slice(0, position).filter((request) => request.prompt.includes(match)).length
}

describe("fair upstream slots", () => {
  it.live("a one-question batch behind a 200-question batch waits about one upstream call, not the big batch", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("big", { delayMs: 50 })
      upstream.always("small", { delayMs: 50 })
      const bigStarted = performance.now()
      const big = yield* Effect.forkChild(askBatch(batchOf(200, "big")))
      yield* until(() => upstream.callsFor("big").length >= 8)

      const bigSentBefore = upstream.callsFor("big").length
      const small = yield* askBatch(batchOf(1, "small"))
      const bigSentWhileSmallRan = upstream.callsFor("big").length

      expect(small.results[0]).toMatchObject({ status: "success", result: "answer to: small 1" })
      // First come first served would send the ~190 big questions still queued first.
      expect(receivedBefore(upstream, "big", "small") - bigSentBefore).toBeLessThanOrEqual(4)
      expect(bigSentWhileSmallRan).toBeLessThan(200)
      const bigAnswer: BatchResponse = yield* Fiber.join(big)
      const bigMs = performance.now() - bigStarted
      expect(bigAnswer.results.every((result) => result.status === "success")).toBe(true)
      // About one call (50 ms) plus its wait; the big batch takes 200 × 50 ms / 4 ≈ 2.5 s.
      expect(small.results[0]!.latency_ms).toBeLessThan(bigMs / 3)
    }).pipe(Effect.provide(TestServer.layer({ LLM_CONCURRENCY: "4", BATCH_CONCURRENCY: "4" }))), 60_000)

  it.live("a batch stuck on an upstream that never answers holds at most BATCH_CONCURRENCY slots, so another batch is answered", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const server = yield* TestServer
      upstream.always("never", { delayMs: 600_000 })
      // Sent outside the test's fibers, and cut off (grace period) when the server stops.
      void fetch(`${server.url}/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(batchOf(10, "never"))
      }).catch(() => undefined)
      yield* until(() => upstream.callsFor("never").length === 3)

      const other = yield* askBatch(batchOf(1, "quick"))
      expect(other.results[0]).toMatchObject({ status: "success", result: "answer to: quick 1" })
      // LLM_CONCURRENCY is 4; the default BATCH_CONCURRENCY (3/4 of it) left one slot free.
      expect(upstream.callsFor("never")).toHaveLength(3)
    }).pipe(Effect.provide(TestServer.layer({ LLM_CONCURRENCY: "4", SHUTDOWN_GRACE_MS: "100" }))), 60_000)

  it.live("with API_KEYS, callers take turns before batches: many batches of one caller do not crowd out another", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const server = yield* TestServer
      upstream.always("crowd", { delayMs: 50 })
      upstream.always("alone", { delayMs: 50 })
      const postAs = (key: string, body: unknown) =>
        server.post("/ask", body, {
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` }
        })
      const crowd = Array.from({ length: 10 }, (_, b) => `crowd${b}x`)
      for (const prefix of crowd) yield* Effect.forkChild(postAs("key-one", batchOf(10, prefix)))
      // Every batch of the first caller is waiting for slots.
      yield* until(() => crowd.every((prefix) => upstream.callsFor(prefix).length > 0))

      const sentBefore = upstream.callsFor("crowd").length
      const alone = yield* postAs("key-two", batchOf(1, "alone"))
      expect(alone.status).toBe(200)
      expect((alone.body as BatchResponse).results[0]).toMatchObject({ status: "success" })
      // Batches in turn alone would put it behind one call of each of the ten batches.
      expect(receivedBefore(upstream, "crowd", "alone") - sentBefore).toBeLessThanOrEqual(4)
    }).pipe(
      Effect.provide(TestServer.layer({
        API_KEYS: "key-one,key-two",
        LLM_CONCURRENCY: "2",
        BATCH_CONCURRENCY: "2",
        SHUTDOWN_GRACE_MS: "100"
      }))
    ), 60_000)
})
