/**
 * Upstream answers are bounded by MAX_UPSTREAM_RESPONSE_BYTES (default 4 MiB): reading stops at the
 * limit, the connection is dropped and only that question fails.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { askBatch, askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { modelOf, type Protocol } from "../support/malformedAnswers.ts"
import { eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const protocols: ReadonlyArray<Protocol> = ["openai", "anthropic"]
const mebibyte = 1024 * 1024

/** Growth of this process's resident memory (the server runs in it) over `effect`, in MiB. */
const rssGrowth = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const before = process.memoryUsage.rss()
    const value = yield* effect
    return [value, (process.memoryUsage.rss() - before) / mebibyte] as const
  })

const batchWith = (protocol: Protocol, question: string) => ({
  questions: [
    { index: 1, question: "a good question" },
    { index: 2, question, model: modelOf[protocol] },
    { index: 3, question: "another good question", model: modelOf[protocol] }
  ]
})

describe("MAX_UPSTREAM_RESPONSE_BYTES", () => {
  for (const protocol of protocols) {
    it.live(`${protocol}: a 64 MiB answer fails its item naming the limit; the others answer and memory stays low`, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("huge", { bodyBytes: 64 * mebibyte })
        const [response, growth] = yield* rssGrowth(askBatch(batchWith(protocol, "huge answer")))
        const [good, huge, other] = response.results
        expect(huge).toMatchObject({ status: "error", attempts: 1 })
        expect(huge!.error_message).toContain(
          `${protocol}'s answer is larger than ${4 * mebibyte} bytes (MAX_UPSTREAM_RESPONSE_BYTES)`
        )
        expect([good!.status, other!.status]).toEqual(["success", "success"])
        // Reading the body whole would hold it several times over (bytes, text, parsed, echoed).
        expect(growth).toBeLessThan(48)
      }).pipe(Effect.provide(TestServer.layer())))

    it.live(`${protocol}: an answer that never ends fails at the limit and its connection is dropped`, () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        upstream.always("endless", { endless: true })
        const [response, growth] = yield* rssGrowth(askBatch(batchWith(protocol, "endless answer")))
        const [good, endless, other] = response.results
        expect(endless).toMatchObject({ status: "error", attempts: 1 })
        expect(endless!.error_message).toContain("MAX_UPSTREAM_RESPONSE_BYTES")
        expect([good!.status, other!.status]).toEqual(["success", "success"])
        expect(growth).toBeLessThan(48)
        // The fake sees its client hang up: it stops writing.
        yield* eventually(() => upstream.aborted === 1)
      }).pipe(Effect.provide(TestServer.layer())))
  }

  it.live("sets the limit: an answer under it is read, one over it is the item's error", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("under", { bodyBytes: 3_000 })
      upstream.always("over", { bodyBytes: 5_000 })
      const under = yield* askOne({ question: "under the limit", validation_strategy: "none" })
      expect(under).toMatchObject({ status: "success", result: "x".repeat(3_000) })
      const over = yield* askOne({ question: "over the limit" })
      expect(over.status).toBe("error")
      expect(over.error_message).toContain("larger than 4096 bytes (MAX_UPSTREAM_RESPONSE_BYTES)")
    }).pipe(Effect.provide(TestServer.layer({ MAX_UPSTREAM_RESPONSE_BYTES: "4096" }))))

  it.live("bounds an error body too: a huge 500 is not read whole, nor retried", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("failing", { status: 500, raw: "e".repeat(8_192) })
      const result = yield* askOne({ question: "failing hugely" })
      expect(result).toMatchObject({ status: "error", attempts: 1 })
      expect(result.error_message).toContain("MAX_UPSTREAM_RESPONSE_BYTES")
    }).pipe(Effect.provide(TestServer.layer({ MAX_UPSTREAM_RESPONSE_BYTES: "4096" }))))
})
