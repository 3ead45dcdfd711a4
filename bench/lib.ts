/** What the bench scenarios share: child processes, the upstream and service handles, HTTP, stats. */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { Agent, request as httpRequest } from "node:http"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import packageJson from "../package.json" with { type: "json" }
import { buildDist } from "../scripts/build.ts"

export const root = fileURLToPath(new URL("..", import.meta.url))
const benchDir = fileURLToPath(new URL(".", import.meta.url))

/** The service's concurrency limit in every scenario (the default of LLM_CONCURRENCY). */
export const llmConcurrency = 64

// ---------------------------------------------------------------- numbers

export const median = (values: ReadonlyArray<number>): number => percentile(values, 50)

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = values.toSorted((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** A field of parsed JSON, without trusting its shape. */
export const field = (json: unknown, name: string): unknown =>
  typeof json === "object" && json !== null && name in json ? Reflect.get(json, name) : undefined

export const fixed = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toFixed(digits) : "n/a"

// ---------------------------------------------------------------- child processes

const children = new Set<ChildProcess>()

/** Runs `node <script>` (or another executable) as a child; it is killed when the bench exits. */
export const startChild = (
  command: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): ChildProcess => {
  const child = spawn(command, args, {
    cwd: root,
    // A clean environment: no provider keys or REDIS_URL leak in from the shell.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    // stdin is a pipe the child may watch: it closes when the bench exits, however it exits.
    stdio: ["pipe", "pipe", "inherit"]
  })
  children.add(child)
  child.on("exit", () => children.delete(child))
  return child
}

export const stopChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, "exit")
  child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000)
  await exited
  clearTimeout(timer)
}

export const stopAll = async (): Promise<void> => {
  await Promise.all([...children].map(stopChild))
}

const readAll = async (child: ChildProcess): Promise<string> => {
  const chunks: Array<Buffer> = []
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk))
  const [code] = await once(child, "exit")
  if (code !== 0) throw new Error(`${child.spawnargs.join(" ")} exited with ${String(code)}`)
  return Buffer.concat(chunks).toString("utf8")
}

/** Runs a child to completion and parses the last line it printed as JSON. */
export const runJson = async (command: string, args: ReadonlyArray<string>): Promise<unknown> => {
  const output = await readAll(startChild(command, args))
  const last = output.trim().split("\n").at(-1) ?? ""
  return JSON.parse(last)
}

export const benchScript = (name: string) => `${benchDir}${name}`

// ---------------------------------------------------------------- HTTP

const agent = new Agent({ keepAlive: true, maxSockets: 16 })

export interface HttpResult {
  readonly status: number
  readonly body: string
  readonly ms: number
  /** The service's own time, from its `Server-Timing: app;dur=…` header (NaN when absent). */
  readonly serverMs: number
}

/** One request over a keep-alive agent, timed from send to the last byte. */
export const http = (port: number, method: string, path: string, body?: unknown): Promise<HttpResult> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const started = performance.now()
    const req = httpRequest({
      host: "127.0.0.1",
      port,
      method,
      path,
      agent,
      headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": payload.length }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          ms: performance.now() - started,
          serverMs: Number(/\bapp;dur=([\d.]+)/.exec(String(res.headers["server-timing"]))?.[1] ?? NaN)
        }))
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end(payload)
  })

export const freePort = async (): Promise<number> => {
  const server = createServer()
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  const address = server.address()
  server.close()
  if (address === null || typeof address === "string") throw new Error("no TCP address")
  return address.port
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls GET /health every 5 ms; resolves with the time it first answered 200. */
export const waitForHealth = async (port: number, timeoutMs = 15_000): Promise<number> => {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const ok = await http(port, "GET", "/health").then((r) => r.status === 200, () => false)
    if (ok) return performance.now()
    await sleep(5)
  }
  throw new Error(`service on port ${port} did not answer /health within ${timeoutMs} ms`)
}

// ---------------------------------------------------------------- the upstream and the service

export interface Upstream {
  readonly port: number
  readonly baseUrl: string
  readonly setDelay: (ms: number) => Promise<void>
  readonly stats: () => Promise<{ readonly calls: number; readonly peak: number }>
  readonly stop: () => Promise<void>
}

export const startUpstream = async (): Promise<Upstream> => {
  const child = startChild(process.execPath, [benchScript("upstream.ts")])
  const [line] = await once(child.stdout!, "data")
  const port = Number(field(JSON.parse(String(line)), "port"))
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    setDelay: async (delayMs) => {
      await http(port, "POST", "/_control", { delayMs })
    },
    stats: async () => {
      const parsed: unknown = JSON.parse((await http(port, "GET", "/_stats")).body)
      return { calls: Number(field(parsed, "calls")), peak: Number(field(parsed, "peak")) }
    },
    stop: () => stopChild(child)
  }
}

/** `pnpm start`'s own command after `node` (its Node flags included): the bench measures what ships. */
const [, ...startArgs] = packageJson.scripts.start.split(" ")

let built: Promise<void> | undefined
/** `pnpm start` builds dist/ first (its prestart script); the bench does too, once per run. */
const buildOnce = () => (built ??= buildDist())

export interface Service {
  readonly port: number
  readonly pid: number
  /** Where its job store is: a fresh directory unless the caller gave DATA_DIR (a restart). */
  readonly dataDir: string
  /** performance.now() at spawn and when /health first answered. */
  readonly startedAt: number
  readonly healthyAt: number
  /** How it ended, once it has (`code 1`, `signal SIGKILL`); undefined while it runs. */
  readonly exited: () => string | undefined
  readonly ask: (questions: ReadonlyArray<Question>) => Promise<AskResult>
  readonly stop: () => Promise<void>
}

export interface Question {
  readonly index: number
  readonly question: string
  readonly cache?: boolean
}

export interface AskResult {
  readonly ms: number
  readonly serverMs: number
  readonly ok: number
  readonly cached: number
  readonly total: number
}

/** Counts successful and cached items without trusting the body's shape. */
const summarize = (body: string): { readonly ok: number; readonly cached: number; readonly total: number } => {
  const results: unknown = field(JSON.parse(body), "results")
  const items: ReadonlyArray<unknown> = Array.isArray(results) ? results : []
  return {
    ok: items.filter((r) => field(r, "status") === "success").length,
    cached: items.filter((r) => field(r, "cached") === true).length,
    total: items.length
  }
}

export const startService = async (
  upstream: Pick<Upstream, "baseUrl">,
  env: Readonly<Record<string, string>> = {},
  nodeArgs: ReadonlyArray<string> = [],
  /** Instead of the bundle: the profile runs `src/main.ts`, whose frames name their package. */
  entry?: string
): Promise<Service> => {
  if (entry === undefined) await buildOnce()
  // The caller's flags after `pnpm start`'s: V8 takes the last of a repeated flag (--max-old-space-size).
  const args = [...startArgs.slice(0, -1), ...nodeArgs, entry ?? startArgs.at(-1)!]
  const port = await freePort()
  // Services run side by side (the memory scenario's beside the main one): each has its own store.
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), "llm-batch-bench-data-")) : undefined
  const dataDir = env.DATA_DIR ?? ownDataDir!
  const startedAt = performance.now()
  const child = startChild(process.execPath, args, {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "Warn",
    LLM_CONCURRENCY: String(llmConcurrency),
    // Every scenario runs one batch at a time: let it use every slot, as before the per-batch cap.
    BATCH_CONCURRENCY: String(llmConcurrency),
    OPENAI_BASE_URL: upstream.baseUrl,
    OPENAI_API_KEY: "sk-bench",
    ...env
  })
  const healthyAt = await waitForHealth(port)
  return {
    port,
    pid: child.pid!,
    dataDir,
    startedAt,
    healthyAt,
    exited: () =>
      child.signalCode !== null ? `signal ${child.signalCode}` : child.exitCode !== null ? `code ${child.exitCode}` : undefined,
    ask: async (questions) => {
      const response = await http(port, "POST", "/ask", { questions })
      if (response.status !== 200) throw new Error(`/ask answered ${response.status}: ${response.body.slice(0, 300)}`)
      return { ms: response.ms, serverMs: response.serverMs, ...summarize(response.body) }
    },
    stop: async () => {
      await stopChild(child)
      if (ownDataDir !== undefined) rmSync(ownDataDir, { recursive: true, force: true })
    }
  }
}

/** `count` distinct questions; `tag` keeps them apart from other runs' (and the cache's) questions. */
export const questions = (count: number, tag: string): ReadonlyArray<Question> =>
  Array.from({ length: count }, (_, i) => ({ index: i + 1, question: `bench ${tag} question ${i + 1}` }))

// ---------------------------------------------------------------- CPU and memory

/** CPU time (user + system) a process has used so far, in ms (10 ms resolution). */
export const cpuMsOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  return (Number(fields[11]) + Number(fields[12])) * (1_000 / 100)
}

/** What a load run gave: the target's answers, and the CPU each request cost the target and the generator. */
export interface Load {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  /** The target process's CPU per request. */
  readonly cpuMs: number
  /** The load generator's own CPU per request (a process without a generator, as the SDK floor, has none). */
  readonly generatorCpuMs: number
}

/** Reads bench/load.ts's (or bench/sdk.ts's) JSON line, with the target's CPU per request. */
export const loadOf = (json: unknown, cpuMs: number): Load => ({
  rps: Number(field(json, "rps")),
  p50: Number(field(json, "p50")),
  p99: Number(field(json, "p99")),
  cpuMs,
  generatorCpuMs: Number(field(json, "cpuMsPerRequest") ?? 0)
})

/**
 * bench/load.ts against `url` from its own process (`raw` sockets unless told; `target` as load.ts
 * takes it), with the CPU per request of the process `pid` that answers.
 */
export const loadOn = async (
  pid: number,
  url: string,
  options: {
    readonly clients: number
    readonly seconds: number
    readonly generator?: "raw" | "autocannon"
    readonly target?: string
  }
): Promise<Load> => {
  const before = cpuMsOf(pid)
  const { clients, generator = "raw", seconds, target = "ask" } = options
  const result = await runJson(process.execPath, [benchScript("load.ts"), url, String(clients), String(seconds), generator, target])
  return loadOf(result, (cpuMsOf(pid) - before) / Number(field(result, "requests")))
}

/** VmRSS and VmHWM (peak RSS) of a process, in MB. */
export const memoryOf = (pid: number): { readonly rssMb: number; readonly hwmMb: number } => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN)
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 }
}

// ---------------------------------------------------------------- the report

export interface Row {
  readonly scenario: string
  readonly measure: string
  readonly value: string
  readonly reference: string
  readonly ratio: string
  readonly target: string
}

export const row = (
  scenario: string,
  measure: string,
  value: string,
  reference = "",
  ratio = "",
  target = ""
): Row => ({ scenario, measure, value, reference, ratio, target })

export const renderTable = (rows: ReadonlyArray<Row>): string => {
  const header = ["scenario", "measure", "llm-batch", "floor / ideal", "ratio", "target"]
  const cells = rows.map((r) => [r.scenario, r.measure, r.value, r.reference, r.ratio, r.target])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (values: ReadonlyArray<string>) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(" | ")} |`
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)].join("\n")
}

/** `met (…)` / `MISSED (…)` for a target check. */
export const verdict = (met: boolean, target: string): string => `${met ? "met" : "MISSED"}: ${target}`
