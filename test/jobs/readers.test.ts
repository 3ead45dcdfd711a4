/**
 * Many readers of a big finished job do not hold the service's event loop (issue 23): 100
 * `GET /batches/{id}/results?follow=true` streams of a 50,000-result job, read as fast as the
 * service sends them, while `/health` is probed every 25 ms and a one-question `/ask` is sent. The
 * service is a child process (the bound is the process's), so are the readers; probes run here.
 * Measured once every reader is streaming, over 4 s windows (the best of up to 3). The issue's
 * figures (`/health` p99 under 100 ms, `/ask` under 1 s) are `pnpm bench readers`'s, taken on a quiet
 * machine; here the suite's other worker shares the two cores, so the test holds the service to 4×
 * them — before the readers took turns, `/health` waited seconds (8.7 s behind 10 readers).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { spawn } from "node:child_process"
import { Agent, request } from "node:http"
import { createInterface } from "node:readline"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { scratchDataDir } from "../support/dataDir.ts"
import { seedFinishedJob } from "../support/seedJob.ts"
import { startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const decodeCounts = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(Schema.Number)))

const results = 50_000
const readers = 100
const probeEveryMs = 25
const windowMs = 4_000
const attempts = 3
/** 4× the figures (see above): what a loaded CI machine can promise, far below the seconds it was. */
const healthP99Ms = 400
const askMs = 4_000

/** One request on its own connection: its status and time from send to last byte. */
const timed = (agent: Agent, url: string, method = "GET", body?: string) =>
  new Promise<{ readonly status: number; readonly ms: number }>((resolve, reject) => {
    const started = performance.now()
    const req = request(url, { method, agent, headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      res.resume()
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }))
    })
    req.on("error", reject)
    req.end(body)
  })

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

describe("readers of a big job", () => {
  it.live(`${readers} followers of a finished ${results}-result job leave /health and /ask responsive`, () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const dataDir = yield* scratchDataDir
      const id = yield* seedFinishedJob(dataDir, results)
      const service = yield* startService({ ...fakeEnvironment(upstream.url), DATA_DIR: dataDir, PORT: "0" })
      const agent = new Agent({ keepAlive: true, maxSockets: 64 })
      yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))

      // A warm service: the first /ask loads the provider's SDK, which is not what is measured.
      const ask = (question: string) =>
        timed(agent, `${service.url}/ask`, "POST", JSON.stringify({ questions: [{ index: 1, question }] }))
      expect((yield* Effect.promise(() => ask("warm-up"))).status).toBe(200)

      // The readers, in a process of their own: bytes each has received, every one must be served.
      const followers = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(process.execPath, ["test/support/followers.ts", `${service.url}/batches/${id}/results?follow=true`, String(readers)], {
            stdio: ["pipe", "pipe", "inherit"]
          })
        ),
        (child) => Effect.sync(() => child.kill("SIGKILL"))
      )
      let received: ReadonlyArray<number> = []
      let streaming = false
      createInterface({ input: followers.stdout }).on("line", (line) => {
        if (line === "streaming") streaming = true
        else received = decodeCounts(line)
      })

      // Measured once all are streaming: the 100 requests' own arrival is a burst like any other.
      yield* Effect.promise(async () => {
        while (!streaming) await new Promise((resolve) => setTimeout(resolve, 20))
      })
      const measure = Effect.promise(async () => {
        const health: Array<Promise<number>> = []
        const started = performance.now()
        const asked = ask("one question beside the readers")
        while (performance.now() - started < windowMs) {
          health.push(timed(agent, `${service.url}/health`).then(({ ms, status }) => status === 200 ? ms : Infinity))
          await new Promise((resolve) => setTimeout(resolve, probeEveryMs))
        }
        const health_ = await Promise.all(health)
        const answer = await asked
        return {
          p99: percentile(health_, 99),
          ask: answer.status === 200 ? answer.ms : Infinity,
          text: `/health p50 ${percentile(health_, 50).toFixed(1)} ms, p99 ${percentile(health_, 99).toFixed(1)} ms, ` +
            `max ${Math.max(...health_).toFixed(1)} ms over ${health_.length} probes; /ask ${answer.ms.toFixed(0)} ms`
        }
      })
      // The best of a few windows: another process's burst on a shared 2-core machine stalls this one's
      // readers and probes alike; the service's own stalls (seconds before) show in every window.
      const windows: Array<Effect.Success<typeof measure>> = []
      while (windows.length < attempts && !windows.some((w) => w.p99 < healthP99Ms && w.ask < askMs)) {
        windows.push(yield* measure)
      }
      const summary = `${windows.map((w) => w.text).join(" | ")}; readers got ` +
        `${(received.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)} MB, the least ${Math.min(...received)} bytes`
      console.log(summary)
      expect(Math.min(...windows.map((w) => w.p99)), summary).toBeLessThan(healthP99Ms)
      expect(windows.at(-1)!.ask, summary).toBeLessThan(askMs)
      expect(Math.min(...received), summary).toBeGreaterThan(0)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
