/**
 * Readers: 100 `GET /batches/{id}/results?follow=true` streams of a finished 50,000-question job
 * (written straight into a fresh store), read as fast as the service sends them, while `/health`
 * is probed every 25 ms for 5 s and a one-question `/ask` is sent: the service's latency beside
 * them (issue 23: 10 readers held `/health` 8.7 s, 100 held `/ask` 151 s) and what the readers got.
 */
import { Effect, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { seedFinishedJob } from "../test/support/seedJob.ts"
import { fixed, http, percentile, root, row, type Row, startService, type Upstream, verdict } from "./lib.ts"

const decodeCounts = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Array(Schema.Number)))

const results = 50_000
const readers = 100
const windowMs = 5_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const readersScenario = async (upstream: Upstream): Promise<ReadonlyArray<Row>> => {
  const dataDir = mkdtempSync(join(tmpdir(), "llm-batch-bench-readers-"))
  try {
    const id = await Effect.runPromise(seedFinishedJob(dataDir, results))
    await upstream.setDelay(0)
    const service = await startService(upstream, { DATA_DIR: dataDir })
    // The readers in a process of their own (test/support/followers.ts), as the readers' test runs them.
    const followers = spawn(process.execPath, [
      "test/support/followers.ts",
      `http://127.0.0.1:${service.port}/batches/${id}/results?follow=true`,
      String(readers)
    ], { cwd: root, stdio: ["pipe", "pipe", "inherit"] })
    try {
      await service.ask([{ index: 1, question: `readers warm-up ${Date.now()}` }])
      let bytes = 0
      let streaming = false
      createInterface({ input: followers.stdout }).on("line", (line) => {
        if (line === "streaming") streaming = true
        else bytes = decodeCounts(line).reduce((a, b) => a + b, 0)
      })
      while (!streaming) await sleep(20)
      const bytesBefore = bytes
      const started = performance.now()
      const asked = http(service.port, "POST", "/ask", { questions: [{ index: 1, question: `beside the readers ${Date.now()}` }] })
      const probes: Array<Promise<number>> = []
      while (performance.now() - started < windowMs) {
        probes.push(http(service.port, "GET", "/health").then((r) => r.ms))
        await sleep(25)
      }
      const health = await Promise.all(probes)
      const ask = await asked
      const seconds = (performance.now() - started) / 1_000
      await sleep(250)
      const resultsPerSecond = (bytes - bytesBefore) / 420 / seconds
      const p99 = percentile(health, 99)
      return [
        row("100 readers of a finished 50,000 job", "/health p50 ms", fixed(percentile(health, 50), 1)),
        row("100 readers of a finished 50,000 job", "/health p99 ms", fixed(p99, 1), "", "", verdict(p99 < 100, "< 100 ms")),
        row("100 readers of a finished 50,000 job", "one-question /ask ms", fixed(ask.ms), "", "", verdict(ask.ms < 1_000, "< 1 s")),
        row("100 readers of a finished 50,000 job", "results/s sent to the readers", fixed(resultsPerSecond))
      ]
    } finally {
      followers.kill("SIGKILL")
      await service.stop()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
