/**
 * The provider batch lane against the sync lane (issue 25): the same 50,000-question job
 * (BENCH_LANE_QUESTIONS) on each lane, each on a fresh service started with the same settings,
 * against the test suite's fake provider (test/support/FakeUpstream.ts, a fresh one per job,
 * served from this process), whose provider batches end at their first retrieve: the wall time is
 * the lane's own overhead, not a provider's turnaround. Per job: submit → `completed`, questions/s,
 * the service's CPU and peak RSS (VmHWM), the requests the provider got and the bytes sent to it —
 * the uploaded JSONL (the fake's `uploadedBytes`) against the sum of the sync lane's request
 * bodies (their Content-Length, counted as the fake receives them). A job that fails, times out
 * (BENCH_LANE_TIMEOUT_MS) or whose service dies is a row saying so, not a thrown error. Each pair
 * runs at each heap of BENCH_LANE_HEAPS (below).
 */
import { createServer } from "node:http"
import { loadavg } from "node:os"
import { FakeUpstreamState } from "../test/support/FakeUpstream.ts"
import { cpuMsOf, field, fixed, http, llmConcurrency, memoryOf, questions, row, type Row, type Service, startService } from "./lib.ts"

const count = Number(process.env.BENCH_LANE_QUESTIONS ?? 50_000)
const timeoutMs = Number(process.env.BENCH_LANE_TIMEOUT_MS ?? 15 * 60_000)

/** One environment for both lanes' services (each lane ignores the other's settings). */
const laneEnv = {
  BATCH_POLL_INTERVAL_MS: "100",
  BATCH_COLLECT_MS: "100",
  JOB_CHUNK_SIZE: "500",
  JOB_CHUNK_CONCURRENCY: "2"
} as const

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface FakeProvider {
  readonly state: FakeUpstreamState
  readonly baseUrl: string
  /** Bytes of the bodies of chat-completion calls made the sync way. */
  readonly syncBodyBytes: () => number
  readonly stop: () => Promise<void>
}

const startFakeProvider = async (): Promise<FakeProvider> => {
  const state = new FakeUpstreamState()
  let syncBodyBytes = 0
  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url?.endsWith("/chat/completions")) {
      // The service's transport sends string bodies with their length (src/llm/fetch.ts).
      syncBodyBytes += Number(req.headers["content-length"] ?? NaN)
    }
    state.handle(req, res).catch((error: unknown) => {
      process.stderr.write(`batchlane: the fake provider failed on ${req.method} ${req.url}: ${String(error)}\n`)
      res.destroy()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("batchlane: the fake provider has no TCP address")
  state.url = `http://127.0.0.1:${address.port}`
  return {
    state,
    baseUrl: `${state.url}/v1`,
    syncBodyBytes: () => syncBodyBytes,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

type Lane = "sync" | "batch"

interface Ended {
  readonly status: string
  readonly succeeded: number
  readonly error: string
  readonly batches: ReadonlyArray<unknown>
}

/** Polls the job every 50 ms until it ends; throws, saying why, if the service exits or time runs out first. */
const waitForEnd = async (service: Service, id: string, deadline: number): Promise<Ended> => {
  while (true) {
    const exited = service.exited()
    if (exited !== undefined) throw new Error(`the service exited (${exited}) before the job ended: its stderr is above`)
    if (performance.now() > deadline) throw new Error(`the job had not ended after ${timeoutMs / 1_000} s (BENCH_LANE_TIMEOUT_MS)`)
    const response = await http(service.port, "GET", `/batches/${id}`).catch(() => undefined)
    if (response?.status === 200) {
      const job: unknown = JSON.parse(response.body)
      const status = String(field(job, "status"))
      if (!["queued", "running", "cancelling"].includes(status)) {
        const batches = field(job, "provider_batches")
        return {
          status,
          succeeded: Number(field(field(job, "counts"), "succeeded")),
          error: String(field(job, "error") ?? ""),
          batches: Array.isArray(batches) ? batches : []
        }
      }
    }
    await sleep(50)
  }
}

interface Measured {
  readonly lane: Lane
  /** Why the job did not complete with every answer, when it did not. */
  readonly failure: string | undefined
  readonly seconds: number
  readonly cpuMs: number
  readonly idleMb: number
  readonly peakMb: number
  /** Requests the provider got: chat completions the sync way, batch-API calls (files, batches). */
  readonly syncCalls: number
  readonly batchApiCalls: number
  /** Bytes sent to the provider: sync request bodies, uploaded JSONL; and the result files read back. */
  readonly syncBodyBytes: number
  readonly uploadedBytes: number
  readonly resultBytes: number
  /** Lines in each provider batch the job shows. */
  readonly providerBatches: ReadonlyArray<number>
  /** Batch lane: ms from submit to the first provider batch created, to the last one ended, to the job's end. */
  readonly phases: { readonly created: number; readonly ended: number; readonly done: number } | undefined
  readonly loadBefore: number
}

const job = async (lane: Lane, tag: string, nodeArgs: ReadonlyArray<string>): Promise<Measured> => {
  const provider = await startFakeProvider()
  const loadBefore = loadavg()[0] ?? NaN
  const service = await startService(provider, laneEnv, nodeArgs)
  try {
    const body = { questions: questions(count, tag), lane }
    const idleMb = memoryOf(service.pid).rssMb
    const cpuBefore = cpuMsOf(service.pid)
    const submittedAt = Date.now()
    const started = performance.now()
    let failure: string | undefined
    let ended: Ended | undefined
    try {
      const response = await http(service.port, "POST", "/batches", body)
      if (response.status !== 202) throw new Error(`POST /batches answered ${response.status}: ${response.body.slice(0, 300)}`)
      ended = await waitForEnd(service, String(field(JSON.parse(response.body), "id")), started + timeoutMs)
      if (ended.status !== "completed" || ended.succeeded !== count) {
        failure = `the job ended ${ended.status} with ${ended.succeeded} of ${count} answers${ended.error ? `: ${ended.error}` : ""}`
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error)
    }
    const seconds = (performance.now() - started) / 1_000
    const doneAt = Date.now()
    const alive = service.exited() === undefined
    const { batches, requests } = provider.state
    const created = batches.created
    const ends = created.map((batch) => batch.endedAt ?? NaN)
    return {
      lane,
      failure,
      seconds,
      cpuMs: alive ? cpuMsOf(service.pid) - cpuBefore : NaN,
      idleMb,
      peakMb: alive ? memoryOf(service.pid).hwmMb : NaN,
      syncCalls: requests.filter((request) => request.batchId === undefined).length,
      batchApiCalls: batches.calls.length,
      syncBodyBytes: provider.syncBodyBytes(),
      uploadedBytes: batches.uploadedBytes.openai + batches.uploadedBytes.anthropic,
      resultBytes: [...batches.files.values()]
        .filter((file) => file.purpose === "batch_output")
        .reduce((sum, file) => sum + Buffer.byteLength(file.content), 0),
      providerBatches: (ended?.batches ?? []).map((batch) => Number(field(batch, "requests"))),
      phases: created.length === 0 ? undefined : {
        created: (created[0]?.createdAt ?? NaN) - submittedAt,
        ended: Math.max(...ends) - submittedAt,
        done: doneAt - submittedAt
      },
      loadBefore
    }
  } finally {
    await service.stop()
    await provider.stop()
  }
}

const mb = (bytes: number) => fixed(bytes / (1024 * 1024), 1)

const rowsOf = (heap: string, sync: Measured, batch: Measured): ReadonlyArray<Row> => {
  const name = (lane: Lane) => `${lane} lane, ${count.toLocaleString("en")} questions, ${heap}`
  const ratio = (a: number, b: number, digits = 2) => fixed(a / b, digits)
  const laneRows = (m: Measured, other: Measured): ReadonlyArray<Row> => {
    const vs = m === batch && other.failure === undefined
    if (m.failure !== undefined) {
      return [
        row(name(m.lane), "FAILED", m.failure),
        row(name(m.lane), "submit → failure s", fixed(m.seconds, 1)),
        row(name(m.lane), "requests to the provider", `${m.syncCalls} sync + ${m.batchApiCalls} batch API`),
        row(name(m.lane), "load average (1 min) at submit", fixed(m.loadBefore, 2))
      ]
    }
    return [
      row(name(m.lane), "submit → completed s", fixed(m.seconds, 1), vs ? `${fixed(other.seconds, 1)} (sync)` : "", vs ? ratio(m.seconds, other.seconds) : ""),
      row(name(m.lane), "questions/s (jobs/s)", `${fixed(count / m.seconds)} (${fixed(1 / m.seconds, 4)})`),
      row(name(m.lane), "service CPU ms per question", fixed(m.cpuMs / count, 3), vs ? `${fixed(other.cpuMs / count, 3)} (sync)` : "", vs ? ratio(m.cpuMs, other.cpuMs) : ""),
      row(name(m.lane), "RSS before submit / peak MB", `${fixed(m.idleMb)} / ${fixed(m.peakMb)}`, vs ? `${fixed(other.peakMb)} (sync peak)` : "", vs ? ratio(m.peakMb, other.peakMb) : ""),
      row(name(m.lane), "requests to the provider", `${m.syncCalls} sync + ${m.batchApiCalls} batch API`),
      row(name(m.lane), "load average (1 min) at submit", fixed(m.loadBefore, 2))
    ]
  }
  const phases = batch.phases === undefined || batch.failure !== undefined ? [] : [
    row(name("batch"), "submit → batch created / ended / job completed ms", `${fixed(batch.phases.created)} / ${fixed(batch.phases.ended)} / ${fixed(batch.phases.done)}`),
    row(name("batch"), "provider batches (lines each)", batch.providerBatches.join(", "))
  ]
  const bytes = batch.failure !== undefined || sync.failure !== undefined ? [] : [
    row(`bytes to the provider, ${heap}`, "batch JSONL uploaded MB", mb(batch.uploadedBytes), `${mb(sync.syncBodyBytes)} (sync request bodies)`, ratio(batch.uploadedBytes, sync.syncBodyBytes, 3)),
    row(`bytes to the provider, ${heap}`, "JSONL bytes per line beyond the sync body", fixed((batch.uploadedBytes - sync.syncBodyBytes) / count)),
    row(`bytes from the provider, ${heap}`, "batch result files MB", mb(batch.resultBytes))
  ]
  return [...laneRows(sync, batch), ...laneRows(batch, sync), ...phases, ...bytes]
}

/**
 * For each heap (BENCH_LANE_HEAPS, MB of --max-old-space-size; default `256,1024`: what ships, and
 * one that holds a 50,000-question batch-lane job), sync then batch on fresh services and fakes.
 * Both lanes ask the same question texts (each service's cache starts empty), so their request
 * bodies differ only by what each lane adds.
 */
export const batchLane = async (): Promise<ReadonlyArray<Row>> => {
  const heaps = (process.env.BENCH_LANE_HEAPS ?? "256,1024").split(",").map(Number)
  const rows: Array<Row> = []
  for (const heapMb of heaps) {
    const heap = `heap ${heapMb} MB`
    const nodeArgs = [`--max-old-space-size=${heapMb}`]
    const tag = `lane-${heapMb}-${Date.now()}`
    const sync = await job("sync", tag, nodeArgs)
    process.stderr.write(`batchlane: ${heap}: sync lane ${fixed(sync.seconds, 1)} s${sync.failure ? ` (${sync.failure})` : ""}\n`)
    const batch = await job("batch", tag, nodeArgs)
    process.stderr.write(`batchlane: ${heap}: batch lane ${fixed(batch.seconds, 1)} s${batch.failure ? ` (${batch.failure})` : ""}\n`)
    rows.push(...rowsOf(heap, sync, batch))
  }
  const settings = Object.entries(laneEnv).map(([key, value]) => `${key} ${value}`).join(", ")
  rows.push(row("settings (every service)", `LLM_CONCURRENCY = BATCH_CONCURRENCY ${llmConcurrency}`, settings))
  return rows
}
