import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { once } from "node:events"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

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
})
