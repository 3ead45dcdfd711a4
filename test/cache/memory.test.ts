import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"
import { cacheBehaviour } from "./behaviour.ts"

cacheBehaviour("memory", Effect.succeed({}))

describe("in-memory cache", () => {
  it.live("evicts the least recently used entry at CACHE_MAX_ENTRIES", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const ask = (question: string) => askOne({ question }).pipe(Effect.map((r) => r.cached))
      expect([yield* ask("a?"), yield* ask("b?")]).toEqual([false, false])
      expect(yield* ask("a?")).toBe(true) // a is now the most recently used
      expect(yield* ask("c?")).toBe(false) // third entry: b goes
      expect([yield* ask("a?"), yield* ask("c?")]).toEqual([true, true])
      expect(yield* ask("b?")).toBe(false)
      expect(upstream.requests.map((r) => r.prompt)).toEqual(["a?", "b?", "c?", "b?"])
      const health = (yield* (yield* TestServer).get("/health")).body
      expect(health).toMatchObject({ cache: { kind: "memory", entries: 2, max_entries: 2 } })
    }).pipe(Effect.provide(TestServer.layer({ CACHE_MAX_ENTRIES: "2" }))))

  it.live("evicts at CACHE_MAX_BYTES", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Each answer is ~2 KiB of text (~4 KiB in memory); the budget holds two.
      upstream.always("big", { text: "x".repeat(2_000) })
      for (const question of ["big 1", "big 2", "big 3", "big 1"]) yield* askOne({ question })
      expect(upstream.requests).toHaveLength(4)
      const health = (yield* (yield* TestServer).get("/health")).body
      expect(health).toMatchObject({ cache: { kind: "memory", entries: 2 } })
    }).pipe(Effect.provide(TestServer.layer({ CACHE_MAX_BYTES: "10000" }))))

  it.live("forgets entries after CACHE_TTL_SECONDS", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      expect((yield* askOne({ question: "short-lived" })).cached).toBe(false)
      expect((yield* askOne({ question: "short-lived" })).cached).toBe(true)
      yield* Effect.sleep("1100 millis")
      expect((yield* askOne({ question: "short-lived" })).cached).toBe(false)
      expect(upstream.requests).toHaveLength(2)
    }).pipe(Effect.provide(TestServer.layer({ CACHE_TTL_SECONDS: "1" }))))

  it.live("says at startup and in /health that the in-memory cache is active", () => {
    const logs: Array<string> = []
    const capture = Logger.make((options) => logs.push(`${options.logLevel} ${String(options.message)}`))
    return Effect.gen(function*() {
      const health = yield* (yield* TestServer).get("/health")
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({
        status: "ok",
        cache: { kind: "memory", entries: 0, max_entries: 10_000, max_bytes: 64 * 1024 * 1024, ttl_seconds: 172_800 }
      })
      expect(logs.filter((line) => line.includes("cache:"))).toEqual([
        expect.stringMatching(/^Info cache: in-memory LRU \(up to 10000 entries \/ 64 MiB, entries live 172800 s\)/)
      ])
    }).pipe(
      Effect.provide(TestServer.layer({ LOG_LEVEL: "Info" })),
      Effect.provide(Logger.layer([capture]))
    )
  })
})
