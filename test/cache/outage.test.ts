/**
 * Redis failures are not outages. Each test runs its own throwaway `redis-server` (or a closed
 * port), so stopping, freezing and restarting it never touches the shared Redis.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { freePort, ownRedis } from "../support/Redis.ts"
import { TestServer } from "../support/TestServer.ts"

const questions = (texts: ReadonlyArray<string>) => ({
  questions: texts.map((question, i) => ({ index: i + 1, question }))
})

/** "Promptly": Redis problems cost at most a command timeout (500 ms), never an LLM-sized wait. */
const promptlyMs = 4_000

const timedBatch = (body: unknown) =>
  Effect.gen(function*() {
    const started = Date.now()
    const response: BatchResponse = yield* askBatch(body)
    return { response, elapsedMs: Date.now() - started }
  })

const health = Effect.gen(function*() {
  const answer = yield* (yield* TestServer).get("/health")
  expect(answer.status).toBe(200)
  return answer.body as { readonly cache: { readonly reachable?: boolean; readonly warning?: string } }
})

/** Polls /health until the cache reports Redis reachable (the client reconnects at most 1 s apart). */
const untilReachable = Effect.gen(function*() {
  for (let i = 0; i < 100; i++) {
    if ((yield* health).cache.reachable === true) return
    yield* Effect.sleep(100)
  }
  expect.fail("Redis did not become reachable again within 10 s")
})

describe("Redis outages", () => {
  it.live("answers uncached and promptly when Redis is down at startup, and uses it once it is up", () =>
    Effect.gen(function*() {
      const redis = yield* ownRedis({ started: false })
      yield* Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const batch = questions(["asked while Redis is down", "another one"])
        const first = yield* timedBatch(batch)
        expect(first.elapsedMs).toBeLessThan(promptlyMs)
        expect(first.response.results.map((r) => [r.status, r.cached])).toEqual([["success", false], [
          "success",
          false
        ]])
        // No silent fallback to another store: the repeat goes upstream again.
        const second = yield* timedBatch(batch)
        expect(second.response.results.map((r) => r.cached)).toEqual([false, false])
        expect(upstream.requests).toHaveLength(4)
        const down = yield* health
        expect(down.cache).toMatchObject({ kind: "redis", reachable: false })
        expect(down.cache.warning).toMatch(/unavailable .*answered without the cache/)

        yield* redis.start
        yield* untilReachable
        yield* askBatch(batch)
        const cached = yield* askBatch(batch)
        expect(cached.results.map((r) => r.cached)).toEqual([true, true])
        expect(upstream.requests).toHaveLength(6)
      }).pipe(Effect.provide(TestServer.layer({ REDIS_URL: redis.url })))
    }))

  it.live("answers uncached and promptly when Redis goes away mid-run, and uses the cache again when it is back", () =>
    Effect.gen(function*() {
      const redis = yield* ownRedis({ started: true })
      const logs: Array<string> = []
      const capture = Logger.make((options) => logs.push(`${options.logLevel} ${String(options.message)}`))
      yield* Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        yield* askBatch(questions(["before the outage"]))
        expect((yield* askBatch(questions(["before the outage"]))).results[0]!.cached).toBe(true)

        yield* redis.kill
        const during = yield* timedBatch(questions(["during the outage", "before the outage"]))
        expect(during.elapsedMs).toBeLessThan(promptlyMs)
        expect(during.response.results.map((r) => [r.status, r.cached])).toEqual([["success", false], [
          "success",
          false
        ]])
        expect((yield* health).cache).toMatchObject({ reachable: false, warning: expect.stringContaining("unavailable") })
        expect(logs.filter((line) => line.startsWith("Warn"))).toEqual([
          expect.stringMatching(/^Warn cache: Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is unavailable/)
        ])

        yield* redis.start // empty: nothing on disk
        yield* untilReachable
        yield* askBatch(questions(["after the outage"]))
        expect((yield* askBatch(questions(["after the outage"]))).results[0]!.cached).toBe(true)
        expect(upstream.callsFor("after the outage")).toHaveLength(1)
        expect(logs.some((line) => /^Info cache: Redis at .* is back/.test(line))).toBe(true)
      }).pipe(
        Effect.provide(TestServer.layer({ REDIS_URL: redis.url, LOG_LEVEL: "Info" })),
        Effect.provide(Logger.layer([capture]))
      )
    }))

  it.live("does not hang on a Redis that stops answering", () =>
    Effect.gen(function*() {
      const redis = yield* ownRedis({ started: true })
      yield* Effect.gen(function*() {
        yield* redis.freeze
        const frozen = yield* timedBatch(questions(["asked while Redis is frozen", "and another"]))
        expect(frozen.elapsedMs).toBeLessThan(promptlyMs)
        expect(frozen.response.results.map((r) => [r.status, r.cached])).toEqual([["success", false], [
          "success",
          false
        ]])
        expect((yield* health).cache.reachable).toBe(false)
        yield* redis.thaw
      }).pipe(Effect.provide(TestServer.layer({ REDIS_URL: redis.url })))
    }))

  it.live("never shows the Redis password, in the log or in /health", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const logs: Array<string> = []
      const capture = Logger.make((options) => logs.push(`${options.logLevel} ${String(options.message)}`))
      yield* Effect.gen(function*() {
        yield* askBatch(questions(["anything"]))
        const answer = yield* (yield* TestServer).get("/health")
        expect(answer.text).toContain(`redis://127.0.0.1:${port}/2`)
        expect(answer.text).not.toContain("s3cret")
        expect(logs.some((line) => line.includes(`127.0.0.1:${port}`))).toBe(true)
        expect(logs.join("\n")).not.toContain("s3cret")
      }).pipe(
        Effect.provide(TestServer.layer({ REDIS_URL: `redis://user:s3cret-pw@127.0.0.1:${port}/2`, LOG_LEVEL: "Info" })),
        Effect.provide(Logger.layer([capture]))
      )
    }))
})
