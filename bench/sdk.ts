/**
 * The floor, run as its own process: the bare `openai` SDK (default settings, retries off as in
 * the service) calling the bench upstream directly. Prints one JSON line.
 *
 *   node bench/sdk.ts loop <baseUrl> <concurrency> <seconds>   → {rps, p50, p99, calls}
 *   node bench/sdk.ts fanout <baseUrl> <calls>                 → {ms, cpuMs}   (all calls with Promise.all)
 *
 * Both modes warm up first (JIT, connection pool), as the long-running service is warm.
 */
import OpenAI from "openai"
import { percentile } from "./lib.ts"

const [mode, baseURL, a = "1", b = "3"] = process.argv.slice(2)
const client = new OpenAI({ apiKey: "sk-bench", baseURL, maxRetries: 0 })
let counter = 0

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1_000

const call = () =>
  client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: `bench floor question ${++counter}` }],
    temperature: 0.2,
    max_tokens: 1000,
    logprobs: true
  })

/** `concurrency` workers calling back to back for `seconds`; latency of every call. */
const loop = async (concurrency: number, seconds: number) => {
  const latencies: Array<number> = []
  const until = performance.now() + seconds * 1_000
  const worker = async () => {
    while (performance.now() < until) {
      const started = performance.now()
      await call()
      latencies.push(performance.now() - started)
    }
  }
  const started = performance.now()
  const cpu = process.cpuUsage()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = (performance.now() - started) / 1_000
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    calls: latencies.length,
    cpuMsPerCall: cpuMs(process.cpuUsage(cpu)) / latencies.length
  }
}

const fanout = async (calls: number) => {
  const started = performance.now()
  const cpu = process.cpuUsage()
  await Promise.all(Array.from({ length: calls }, call))
  return { ms: performance.now() - started, cpuMs: cpuMs(process.cpuUsage(cpu)) }
}

if (mode === "loop") {
  await loop(Number(a), 1)
  process.stdout.write(`${JSON.stringify(await loop(Number(a), Number(b)))}\n`)
} else if (mode === "fanout") {
  await fanout(Number(a))
  process.stdout.write(`${JSON.stringify(await fanout(Number(a)))}\n`)
} else {
  process.stderr.write("usage: node bench/sdk.ts loop|fanout <baseUrl> …\n")
  process.exit(2)
}
