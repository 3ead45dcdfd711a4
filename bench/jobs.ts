/**
 * Batch jobs on the embedded SQLite store, each on a fresh service: a 10,000-question job with an
 * instant upstream (questions/s from the 202 to `completed`, and peak RSS); a 50,000-question job
 * (peak RSS) with an instant upstream, the worst case for memory (the most garbage per second),
 * and with one that answers in 150 ms; and a 10,000-question job whose service is killed
 * (`kill -9`) at 80 % and started again on the same DATA_DIR (time from the restart's spawn to the
 * first new upstream call, and to the job's end).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { field, fixed, http, memoryOf, row, type Row, questions, type Service, startService, type Upstream, verdict } from "./lib.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const submit = async (service: Service, count: number, tag: string): Promise<string> => {
  const response = await http(service.port, "POST", "/batches", { questions: questions(count, tag) })
  if (response.status !== 202) throw new Error(`POST /batches answered ${response.status}: ${response.body.slice(0, 300)}`)
  return String(field(JSON.parse(response.body), "id"))
}

/** Polls the job every 50 ms until it has ended; gives its status and how many questions succeeded. */
const waitForEnd = async (service: Service, id: string): Promise<{ readonly status: string; readonly succeeded: number }> => {
  while (true) {
    const job: unknown = JSON.parse((await http(service.port, "GET", `/batches/${id}`)).body)
    const status = String(field(job, "status"))
    if (!["queued", "running", "cancelling"].includes(status)) {
      return { status, succeeded: Number(field(field(job, "counts"), "succeeded")) }
    }
    await sleep(50)
  }
}

const run = async (upstream: Upstream, count: number, tag: string, delayMs = 0) => {
  await upstream.setDelay(delayMs)
  const service = await startService(upstream)
  try {
    const started = performance.now()
    const id = await submit(service, count, `${tag}-${Date.now()}`)
    const end = await waitForEnd(service, id)
    const seconds = (performance.now() - started) / 1_000
    if (end.status !== "completed" || end.succeeded !== count) {
      throw new Error(`jobs: a ${count}-question job ended ${end.status} with ${end.succeeded} answers`)
    }
    return { perSecond: count / seconds, peakMb: memoryOf(service.pid).hwmMb }
  } finally {
    await service.stop()
  }
}

/** Kills the service at 80 % of a 10,000-question job and starts it again on the same store. */
const restart = async (upstream: Upstream) => {
  const count = 10_000
  const dataDir = mkdtempSync(join(tmpdir(), "llm-batch-bench-restart-"))
  try {
    // A little latency, so the kill lands mid-job rather than after it.
    await upstream.setDelay(5)
    const first = await startService(upstream, { DATA_DIR: dataDir })
    const id = await submit(first, count, `restart-${Date.now()}`)
    while ((await upstream.stats()).calls < count * 0.8) await sleep(2)
    process.kill(first.pid, "SIGKILL")
    await first.stop()
    const callsAtKill = (await upstream.stats()).calls
    const spawned = performance.now()
    const second = startService(upstream, { DATA_DIR: dataDir })
    while ((await upstream.stats()).calls <= callsAtKill) await sleep(2)
    const firstCallMs = performance.now() - spawned
    const service = await second
    try {
      const end = await waitForEnd(service, id)
      if (end.status !== "completed" || end.succeeded !== count) {
        throw new Error(`jobs: the restarted job ended ${end.status} with ${end.succeeded} answers`)
      }
      const calls = (await upstream.stats()).calls
      return { firstCallMs, endMs: performance.now() - spawned, extraCalls: calls - count }
    } finally {
      await service.stop()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export const jobs = async (upstream: Upstream): Promise<ReadonlyArray<Row>> => {
  const small = await run(upstream, 10_000, "job-10k")
  const big = await run(upstream, 50_000, "job-50k")
  const paced = await run(upstream, 50_000, "job-50k-paced", 150)
  const restarted = await restart(upstream)
  return [
    row("job 10,000 (SQLite)", "questions/s", fixed(small.perSecond), "", "", verdict(small.perSecond >= 300, "≥ 300/s")),
    row("job 10,000 (SQLite)", "RSS peak MB", fixed(small.peakMb), "", "", ""),
    row("job 50,000 (SQLite)", "RSS peak MB", fixed(big.peakMb), "", "", verdict(big.peakMb < 400, "< 400 MB")),
    row("job 50,000 (SQLite)", "questions/s", fixed(big.perSecond), "", "", ""),
    row("job 50,000, upstream 150 ms", "RSS peak MB", fixed(paced.peakMb), "", "", verdict(paced.peakMb < 400, "< 400 MB")),
    row("job 50,000, upstream 150 ms", "questions/s", fixed(paced.perSecond), "", "", ""),
    row("job kill -9 at 80 %", "restart → first new upstream call ms", fixed(restarted.firstCallMs), "", "", ""),
    row("job kill -9 at 80 %", "restart → job completed ms", fixed(restarted.endMs), "", "", ""),
    row("job kill -9 at 80 %", "questions asked twice (in flight at the kill)", String(restarted.extraCalls), "", "", "")
  ]
}
