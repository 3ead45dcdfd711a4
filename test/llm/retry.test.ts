import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { UpstreamError } from "../../src/domain/Errors.ts"
import { retryAfterFailure, retryAfterMs, transportSchedule } from "../../src/llm/retry.ts"
import { askOne } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

describe("Retry-After parsing", () => {
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250" }))).toBe(250)
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000)
    const now = Date.parse("2026-01-01T00:00:00Z")
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), now)).toBe(3000)
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined()
    expect(retryAfterMs(new Headers())).toBeUndefined()
  })
})

describe("retryAfterFailure", () => {
  const busy = (retryAfterMs?: number) =>
    new UpstreamError({ provider: "openai", message: "busy", reason: "rate_limited", status: 429, attempts: 1, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })

  /** Runs a scripted attempt under the test clock: when each attempt started, and how it ended. */
  const run = (
    retry: (attempt: Effect.Effect<string, UpstreamError>) => Effect.Effect<string, UpstreamError>,
    outcomes: ReadonlyArray<UpstreamError | string>
  ) =>
    Effect.gen(function*() {
      const started: Array<number> = []
      let i = 0
      const attempt = Effect.flatMap(Clock.currentTimeMillis, (now) => {
        started.push(now)
        const outcome = outcomes[i++]!
        return typeof outcome === "string" ? Effect.succeed(outcome) : Effect.fail(outcome)
      })
      const fiber = yield* Effect.forkChild(Effect.exit(retry(attempt)))
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.join(fiber)
      const t0 = started[0] ?? 0
      return { exit, waits: started.map((at) => at - t0) }
    })

  it.effect("makes the attempts Effect.retry makes, after the waits it would take", () =>
    Effect.gen(function*() {
      // No jitter to compare: every wait below is a Retry-After, which the schedule takes as it is.
      const schedule = transportSchedule({ maxRetries: 2, baseDelayMs: 5 })
      for (const outcomes of [["ok"], [busy(300), "ok"], [busy(300), busy(700), "ok"], [busy(100), busy(200), busy(300), "never"]]) {
        const ours = yield* run((attempt) => retryAfterFailure(attempt, schedule), outcomes)
        const effects = yield* run((attempt) => Effect.retry(attempt, schedule), outcomes)
        expect(ours).toEqual(effects)
      }
      const gaveUp = yield* run((attempt) => retryAfterFailure(attempt, schedule), [busy(100), busy(200), busy(300), "never"])
      expect(gaveUp.waits).toEqual([0, 100, 300])
      expect(gaveUp.exit._tag).toBe("Failure")
    }))
})

describe("transport retries", () => {
  it.live("retries 429 twice then succeeds with attempts: 3", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("busy", { status: 429 }, { status: 429 }, { text: "finally" })
      const result = yield* askOne({ question: "busy?" })
      expect(result).toMatchObject({ status: "success", result: "finally", attempts: 3, retry_count: 0 })
      expect(upstream.callsFor("busy")).toHaveLength(3)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("waits as long as retry-after-ms asks", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("slow down", { status: 429, headers: { "retry-after-ms": "400" } }, { text: "ok" })
      const result = yield* askOne({ question: "slow down" })
      expect(result).toMatchObject({ status: "success", attempts: 2 })
      // The base backoff here is 5 ms, so only the header can explain a wait this long.
      expect(result.latency_ms).toBeGreaterThanOrEqual(400)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("does not retry a 400", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("bad", { status: 400 })
      const result = yield* askOne({ question: "bad request" })
      expect(result).toMatchObject({ status: "error", attempts: 1 })
      expect(result.error_message).toContain("openai answered HTTP 400")
      expect(upstream.callsFor("bad")).toHaveLength(1)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("gives up on a 500 that never ends after LLM_MAX_RETRIES + 1 attempts", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("broken", { status: 500 })
      const result = yield* askOne({ question: "broken" })
      expect(result).toMatchObject({ status: "error", attempts: 3 })
      expect(result.error_message).toContain("HTTP 500")
      expect(result.error_message).toContain("3 attempts")
      expect(upstream.callsFor("broken")).toHaveLength(3)
    }).pipe(Effect.provide(TestServer.layer({ LLM_MAX_RETRIES: "2" }))))

  it.live("retries a connection reset", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("flaky", { reset: true }, { text: "recovered" })
      const result = yield* askOne({ question: "flaky" })
      expect(result).toMatchObject({ status: "success", result: "recovered", attempts: 2 })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("names the URL and the variable that set it when the provider cannot be reached", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("unreachable", { reset: true })
      const result = yield* askOne({ question: "unreachable", model: "mistral/mistral-small" })
      expect(result.status).toBe("error")
      expect(result.error_message).toContain(`connection to mistral at ${upstream.url}/mistral (MISTRAL_API_BASE) failed`)
    }).pipe(Effect.provide(TestServer.layer({ LLM_MAX_RETRIES: "0" }))))

  it.live("times out a slow attempt and retries it", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("sluggish", { delayMs: 2_000 }, { text: "quick now" })
      const result = yield* askOne({ question: "sluggish" })
      expect(result).toMatchObject({ status: "success", result: "quick now", attempts: 2 })
    }).pipe(Effect.provide(TestServer.layer({ LLM_TIMEOUT_MS: "200" }))))

  it.live("reports a timeout that never ends, naming LLM_TIMEOUT_MS", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("stuck", { delayMs: 2_000 })
      const result = yield* askOne({ question: "stuck" })
      expect(result).toMatchObject({ status: "error", attempts: 2 })
      expect(result.error_message).toContain("LLM_TIMEOUT_MS")
    }).pipe(Effect.provide(TestServer.layer({ LLM_TIMEOUT_MS: "150", LLM_MAX_RETRIES: "1" }))))

  it.live("turns a malformed upstream body into an item error, not a crash", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("garbled", { raw: "{not json" })
      const result = yield* askOne({ question: "garbled" })
      expect(result.status).toBe("error")
      expect(result.error_message).toContain("openai")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("retries an Anthropic 529 overload", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("overloaded", { status: 529 }, {})
      const result = yield* askOne({ question: "overloaded", model: "anthropic/claude-haiku-4-5" })
      expect(result).toMatchObject({ status: "success", attempts: 2 })
    }).pipe(Effect.provide(TestServer.layer())))
})
