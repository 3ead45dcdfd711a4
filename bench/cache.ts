/**
 * Cache: a 100-question batch asked once (filling the cache), then asked again repeatedly: every
 * item must come back `cached`. Server time is the service's own `Server-Timing` figure; the round
 * trip, timed by the client on loopback, adds the HTTP exchange. Memory cache on the shared
 * service; Redis on a second service using its own key prefix (removed afterwards; it also has a
 * short TTL). Redis is never flushed.
 */
import { deleteKeys } from "../test/support/Redis.ts"
import {
  fixed,
  median,
  percentile,
  row,
  type Row,
  questions,
  type Service,
  startService,
  type Upstream,
  verdict
} from "./lib.ts"

const size = 100
const warmups = 50
const repeats = 30
const redisUrl = "redis://127.0.0.1:6379"

const measure = async (service: Service, label: string): Promise<ReadonlyArray<Row>> => {
  const batch = questions(size, `cache-${label}-${Date.now()}`)
  await service.ask(batch)
  await new Promise((resolve) => setTimeout(resolve, 200)) // cache writes do not hold the answer up
  const serverTimes: Array<number> = []
  const roundTrips: Array<number> = []
  // The first cached rounds warm the hit path up (the Redis service has just started, so its JIT
  // is cold): the figures are the steady state.
  for (let i = 0; i < warmups + repeats; i++) {
    const result = await service.ask(batch)
    if (result.cached !== size) return [row(`cache, ${label}`, "100 cached", `n/a (${result.cached}/${size} cached)`)]
    if (i >= warmups) {
      serverTimes.push(result.serverMs)
      roundTrips.push(result.ms)
    }
  }
  const p50 = median(serverTimes)
  return [
    row(
      `cache, ${label}`,
      "100 cached: server time p50 / p99 ms",
      `${fixed(p50, 2)} / ${fixed(percentile(serverTimes, 99), 2)}`,
      "",
      "",
      label === "Redis" ? verdict(p50 <= 10, "≤ 10 ms server time") : ""
    ),
    row(`cache, ${label}`, "100 cached: round trip p50 ms", fixed(median(roundTrips), 2))
  ]
}

export const cache = async (upstream: Upstream, memoryService: Service): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(0)
  const rows = [...await measure(memoryService, "memory")]
  const prefix = `llm-batch-bench:${process.pid}:`
  const redisService = await startService(upstream, {
    REDIS_URL: redisUrl,
    CACHE_KEY_PREFIX: prefix,
    CACHE_TTL_SECONDS: "120"
  })
  try {
    rows.push(...await measure(redisService, "Redis"))
  } catch (error) {
    rows.push(row("cache, Redis", "100 cached", `n/a (${error instanceof Error ? error.message : String(error)})`))
  } finally {
    await redisService.stop()
    await deleteKeys(prefix, redisUrl).catch((error: unknown) => {
      // The keys expire on their own (CACHE_TTL_SECONDS above); say so rather than fail the bench.
      process.stderr.write(`bench: could not delete ${prefix}* from Redis (${String(error)}); they expire in 120 s\n`)
    })
  }
  return rows
}
