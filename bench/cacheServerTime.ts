/**
 * `pnpm bench:cache` (not a test): the server's time for a fully cached batch of 100 questions on
 * the in-memory cache and on Redis, next to bare Redis figures from `redis-cli --latency` and
 * `redis-benchmark` on the same machine. "Engine alone" is `runBatch` in process (no HTTP, no
 * request decoding); "HTTP" is a POST /ask round trip on loopback (adds JSON and sockets). `pnpm
 * bench` reports the part in between: the service's own `Server-Timing`.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 BENCH_RUNS=50 pnpm bench:cache
 *
 * Redis keys go under a fresh `bench:llm-batch:<uuid>:` prefix, deleted at the end (never FLUSH).
 */
import { ConfigProvider, Effect, Layer, Schema } from "effect"
import { HttpServer } from "effect/http"
import { Redis } from "ioredis"
import { execFileSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { AppLayer } from "../src/app.ts"
import { ServicesLayer } from "../src/services.ts"
import { runBatch } from "../src/batch/engine.ts"
import { BatchRequest, type BatchResponse } from "../src/domain/Batch.ts"
import { startFakeUpstream } from "../test/support/FakeUpstream.ts"
import { fakeEnvironment } from "../test/support/TestServer.ts"

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const runs = Number(process.env.BENCH_RUNS ?? 50)
const size = 100
const prefix = `bench:llm-batch:${randomUUID()}:`
const redisAddress = new URL(redisUrl)
const redisHost = redisAddress.hostname
const redisPort = redisAddress.port || "6379"

const batch = Schema.decodeUnknownSync(BatchRequest)({
  questions: Array.from({ length: size }, (_, i) => ({ index: i, question: `benchmark question ${i}` }))
})

interface Stats {
  readonly p50: number
  readonly p95: number
  readonly min: number
}

const stats = (samples: ReadonlyArray<number>): Stats => {
  const sorted = samples.toSorted((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
  return { p50: at(0.5), p95: at(0.95), min: sorted[0]! }
}

const allCached = (response: BatchResponse) => response.results.every((r) => r.status === "success" && r.cached)

/** Fills the cache, checks a repeat is fully cached, then times `runs` repeats. */
const timeRepeats = <R>(ask: Effect.Effect<BatchResponse, never, R>) =>
  Effect.gen(function*() {
    yield* ask
    yield* Effect.sleep("100 millis") // writes land behind the answers
    // Also warms the JIT, so the backend measured first is not penalized.
    for (let i = 0; i < 20; i++) {
      if (!allCached(yield* ask)) return yield* Effect.die(new Error("the repeated batch was not fully cached"))
    }
    const samples: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const started = performance.now()
      const response = yield* ask
      samples.push(performance.now() - started)
      if (!allCached(response)) return yield* Effect.die(new Error("a timed batch was not fully cached"))
    }
    return stats(samples)
  })

const measureBackend = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const config = ConfigProvider.layer(ConfigProvider.fromEnv({ env }))
    const engine = yield* timeRepeats(runBatch(batch).pipe(Effect.orDie)).pipe(
      Effect.provide(ServicesLayer.pipe(Layer.provide(config)))
    )
    const http = yield* Effect.gen(function*() {
      const address = (yield* HttpServer.HttpServer).address
      const url = address._tag === "UnixPathAddress" ? "http://unix/ask" : `http://127.0.0.1:${address.port}/ask`
      const body = JSON.stringify(batch)
      const post = Effect.promise(async () => {
        const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })
        return (await response.json()) as BatchResponse
      })
      return yield* timeRepeats(post)
    }).pipe(Effect.provide(AppLayer.pipe(Layer.provide(config))))
    return { engine, http }
  })

/** MONITOR one cached batch on Redis: how many read round trips did it take? */
const countReads = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const monitorClient = new Redis(redisUrl)
    const monitor = yield* Effect.promise(() => monitorClient.monitor())
    const reads: Array<string> = []
    monitor.on("monitor", (_time: string, args: ReadonlyArray<string>) => {
      if (args.some((arg) => String(arg).startsWith(prefix))) reads.push(`${args[0]} ×${args.length - 1}`)
    })
    yield* runBatch(batch).pipe(
      Effect.orDie,
      Effect.provide(ServicesLayer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
    )
    yield* Effect.sleep("300 millis")
    monitor.disconnect()
    monitorClient.disconnect()
    return reads
  })

const run = (command: string, args: ReadonlyArray<string>) => {
  try {
    return execFileSync(command, args, { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] })
  } catch (error) {
    return `unavailable (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`
  }
}

/** `redis-benchmark --csv`: "test","rps","avg","min","p50","p95","p99","max" (ms). */
const benchmarkLine = (output: string) => {
  const cells = output.trim().split("\n").at(-1)?.split(",").map((cell) => cell.replaceAll("\"", "")) ?? []
  return cells.length < 8 ? output.trim() : `p50 ${cells[4]} ms, p95 ${cells[5]} ms, ${Math.round(Number(cells[1]))} req/s`
}

const cleanUp = Effect.promise(async () => {
  const redis = new Redis(redisUrl, { lazyConnect: true })
  await redis.connect()
  const keys: Array<string> = []
  for await (const found of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    if (Array.isArray(found)) keys.push(...found.map(String))
  }
  return { redis, keys }
})

const program = Effect.gen(function*() {
  const upstream = yield* startFakeUpstream
  const base = { ...fakeEnvironment(upstream.url), LOG_LEVEL: "Warn" }
  const redisEnv = { ...base, REDIS_URL: redisUrl, CACHE_KEY_PREFIX: prefix, CACHE_TTL_SECONDS: "600" }

  const memory = yield* measureBackend(base)
  const redis = yield* measureBackend(redisEnv)
  const reads = yield* countReads(redisEnv)

  const { redis: client, keys } = yield* cleanUp
  const mgetArgs = ["MGET", ...keys.slice(0, size)]
  const latency = run("redis-cli", ["-h", redisHost, "-p", redisPort, "--latency", "--raw"]).trim().split(/\s+/)
  const get = run("redis-benchmark", ["-h", redisHost, "-p", redisPort, "-c", "1", "-n", "20000", "-t", "get", "--csv"])
  const mget = run("redis-benchmark", ["-h", redisHost, "-p", redisPort, "-c", "1", "-n", "5000", "--csv", ...mgetArgs])
  if (keys.length > 0) yield* Effect.promise(() => client.del(...keys))
  client.disconnect()

  const fmt = (s: Stats) => `p50 ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, min ${s.min.toFixed(2)} ms`
  const lines = [
    `Fully cached batch of ${size} questions, ${runs} timed runs each (after warm-up):`,
    `  memory  engine alone          ${fmt(memory.engine)}`,
    `  memory  HTTP POST /ask        ${fmt(memory.http)}`,
    `  redis   engine alone          ${fmt(redis.engine)}`,
    `  redis   HTTP POST /ask        ${fmt(redis.http)}`,
    `  redis   reads per cached batch (MONITOR): ${reads.length} [${reads.join(", ")}]`,
    `Bare Redis at ${redisHost}:${redisPort} on this machine:`,
    `  redis-cli --latency           ${
      latency.length === 4 ? `min ${latency[0]} ms, max ${latency[1]} ms, avg ${latency[2]} ms (${latency[3]} samples)` : latency.join(" ")
    }`,
    `  redis-benchmark GET  (1 conn) ${benchmarkLine(get)}`,
    `  redis-benchmark MGET of the batch's ${mgetArgs.length - 1} keys (1 conn) ${benchmarkLine(mget)}`
  ]
  yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
})

Effect.runPromise(Effect.scoped(program)).catch((error: unknown) => {
  process.stderr.write(`bench:cache failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
