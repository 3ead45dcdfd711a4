/**
 * SIGTERM on the real process (`node src/main.ts`): the server stops accepting connections, lets
 * requests in flight finish within SHUTDOWN_GRACE_MS, then ends what is still running as item
 * errors and sends those whole answers, and exits 0.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { once } from "node:events"
import { connect } from "node:net"
import type { BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

/** One question answered at once, one the upstream never answers. */
const fastAndStuck = JSON.stringify({
  questions: [{ index: 1, question: "fast one" }, { index: 2, question: "stuck one" }]
})

const post = (url: string, body: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })

/** Whether a new TCP connection to `url` is refused (rather than accepted). */
const refusesConnections = (url: string) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"))
  })

const untilRefused = (url: string) =>
  Effect.gen(function*() {
    // Bounded: the server closes its listener as soon as the signal arrives, well within the grace period.
    for (let tries = 0; tries < 50; tries++) {
      if (yield* Effect.promise(() => refusesConnections(url))) return true
      yield* Effect.sleep(20)
    }
    return false
  })

const expectShutdownError = (result: ResultItem | undefined) => {
  expect(result).toMatchObject({ index: 2, status: "error", attempts: 1 })
  expect(result!.error_message).toContain("the service is shutting down")
  expect(result!.error_message).toContain("SHUTDOWN_GRACE_MS")
  expect(result!.error_message).toContain("send this question again")
}

describe("graceful shutdown", () => {
  it.live("finishes in-flight requests on SIGTERM, then exits 0", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 600 })
      const { child, url } = yield* startService(fakeEnvironment(upstream.url))
      const exited = once(child, "exit")
      const response = fetch(`${url}/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ questions: [{ index: 1, question: "slow one" }] })
      })
      // Signal only once the upstream has the call, so the request is truly in flight.
      while (upstream.requests.length === 0) yield* Effect.sleep(10)
      child.kill("SIGTERM")
      const answer = yield* Effect.promise(() => response.then((r) => r.json() as Promise<BatchResponse>))
      expect(answer.results[0]!.status).toBe("success")
      const [code] = yield* Effect.promise(() => exited)
      expect(code).toBe(0)
    }).pipe(Effect.provide(FakeUpstream.layer)))

  it.live("after the grace period a request still running gets its whole answer, unfinished questions as errors", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("stuck", { delayMs: 600_000 })
      const { child, url } = yield* startService({ ...fakeEnvironment(upstream.url), SHUTDOWN_GRACE_MS: "1500" })
      const exited = once(child, "exit")
      const response = post(`${url}/ask`, fastAndStuck)
      while (upstream.callsFor("stuck").length === 0 || upstream.callsFor("fast").length === 0) {
        yield* Effect.sleep(10)
      }
      child.kill("SIGTERM")
      expect(yield* untilRefused(url)).toBe(true)

      const answer = yield* Effect.promise(() => response)
      expect(answer.status).toBe(200)
      const body = yield* Effect.promise(() => answer.json() as Promise<BatchResponse>)
      expect(body.results[0]).toMatchObject({ index: 1, status: "success", result: "answer to: fast one" })
      expectShutdownError(body.results[1])
      const [code] = yield* Effect.promise(() => exited)
      expect(code).toBe(0)
    }).pipe(Effect.provide(FakeUpstream.layer)), 30_000)

  it.live("after the grace period a stream ends with the unfinished questions' errors", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("stuck", { delayMs: 600_000 })
      const { child, url } = yield* startService({ ...fakeEnvironment(upstream.url), SHUTDOWN_GRACE_MS: "1500" })
      const exited = once(child, "exit")
      const response = yield* Effect.promise(() => post(`${url}/ask/stream`, fastAndStuck))
      expect(response.status).toBe(200)
      const text = response.text()
      while (upstream.callsFor("stuck").length === 0) yield* Effect.sleep(10)
      child.kill("SIGTERM")
      expect(yield* untilRefused(url)).toBe(true)

      const lines = (yield* Effect.promise(() => text)).trim().split("\n").map((line) => JSON.parse(line) as ResultItem)
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatchObject({ index: 1, status: "success" })
      expectShutdownError(lines[1])
      const [code] = yield* Effect.promise(() => exited)
      expect(code).toBe(0)
    }).pipe(Effect.provide(FakeUpstream.layer)), 30_000)
})
