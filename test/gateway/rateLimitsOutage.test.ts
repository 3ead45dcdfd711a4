/**
 * Redis is not a reason to fail or stall a question: while it is down each process limits on its
 * own in memory (said once), and when it is back the limits are shared again. A throwaway
 * `redis-server` of the test's own plays the outage.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Logger } from "effect"
import { Redis } from "ioredis"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { RateLimits } from "../../src/gateway/rateLimits.ts"
import { ownRedis } from "../support/Redis.ts"

const limitsOn = (env: Record<string, string>) =>
  RateLimits.layer.pipe(
    Layer.provide(AppConfig.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  )

const call = (model: string) => ({ model, promptTokens: 5, maxTokens: 10 })

describe("rate limits when Redis is down", () => {
  it.live("limits per process in memory while Redis is down, says so once, and shares them again when it is back", () =>
    Effect.gen(function*() {
      const redis = yield* ownRedis({ started: false })
      const logs: Array<string> = []
      const capture = Logger.make((options) => logs.push(`${options.logLevel} ${String(options.message)}`))
      yield* Effect.gen(function*() {
        const limits = yield* RateLimits
        yield* limits.acquire(call("openai/gpt-4o"))
        yield* limits.acquire(call("openai/gpt-4o"))
        // rpm 2 still holds, in this process's memory: the third waits for a refill (30 s).
        const third = yield* Effect.forkChild(limits.acquire(call("openai/gpt-4o")))
        for (let i = 0; i < 10; i++) yield* limits.acquire(call("anthropic/claude-haiku-4-5"))
        yield* Effect.sleep("300 millis")
        expect(third.pollUnsafe()).toBeUndefined()
        yield* Fiber.interrupt(third)
        expect(logs.filter((line) => line.startsWith("Warn"))).toEqual([
          expect.stringMatching(/^Warn rate limits: Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is unavailable; each process limits on its own/)
        ])

        yield* redis.start
        const back = () => logs.some((line) => /^Info rate limits: Redis at .* is back; limits are shared again/.test(line))
        for (let i = 0; i < 100 && !back(); i++) {
          yield* limits.acquire(call("anthropic/claude-haiku-4-5"))
          yield* Effect.sleep("100 millis")
        }
        expect(back()).toBe(true)
        // A bucket lives in Redis until it has refilled: rpm 5 keeps a used one for 12 s.
        yield* limits.acquire(call("mistral/mistral-large"))
        const keys = yield* Effect.acquireUseRelease(
          Effect.sync(() => new Redis(redis.url)),
          (client) => Effect.promise(() => client.keys("outage-test:ratelimit:*")),
          (client) => Effect.sync(() => client.disconnect())
        )
        expect(keys).toContain("outage-test:ratelimit:rpm:mistral/*")
      }).pipe(
        Effect.provide(limitsOn({
          REDIS_URL: redis.url,
          CACHE_KEY_PREFIX: "outage-test:",
          RATE_LIMITS: `[{"model":"openai/*","rpm":2},{"model":"anthropic/*","rpm":1000},{"model":"mistral/*","rpm":5}]`
        })),
        Effect.provide(Logger.layer([capture]))
      )
    }), 30_000)
})
