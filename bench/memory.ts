/**
 * Startup and memory, on fresh service processes: time from spawn to the first 200 from /health,
 * with an empty compile cache (a first start) and with the cache that start left (every later
 * start); RSS one second after that (idle); peak RSS (VmHWM) over a 1,000-question batch with a
 * 200 ms upstream and one with an instant upstream. Medians over runs.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fixed, median, memoryOf, row, type Row, questions, startService, type Upstream, verdict } from "./lib.ts"

const runs = 3
const size = 1000

export const startupAndMemory = async (upstream: Upstream): Promise<ReadonlyArray<Row>> => {
  const coldStartups: Array<number> = []
  const startups: Array<number> = []
  const idles: Array<number> = []
  const peaks: Array<number> = []
  for (let run = 0; run < runs; run++) {
    const compileCache = mkdtempSync(join(tmpdir(), "llm-batch-compile-cache-"))
    const env = { NODE_COMPILE_CACHE: compileCache }
    const cold = await startService(upstream, env)
    coldStartups.push(cold.healthyAt - cold.startedAt)
    await cold.stop()
    const service = await startService(upstream, env)
    try {
      startups.push(service.healthyAt - service.startedAt)
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      idles.push(memoryOf(service.pid).rssMb)
      for (const delayMs of [200, 0]) {
        await upstream.setDelay(delayMs)
        const result = await service.ask(questions(size, `memory-${run}-${delayMs}-${Date.now()}`))
        if (result.ok !== size) throw new Error(`memory: only ${result.ok} of ${size} succeeded`)
      }
      peaks.push(memoryOf(service.pid).hwmMb)
    } finally {
      await service.stop()
      rmSync(compileCache, { recursive: true, force: true })
    }
  }
  const coldStartup = median(coldStartups)
  const startup = median(startups)
  const idle = median(idles)
  const peak = median(peaks)
  return [
    row("startup", "spawn → /health ms", fixed(startup), "", "", verdict(startup <= 1_000, "≤ 1,000 ms")),
    row("startup", "first start (empty compile cache) ms", fixed(coldStartup), "", "", verdict(coldStartup <= 1_000, "≤ 1,000 ms")),
    row("memory", "RSS idle MB", fixed(idle), "", "", verdict(idle <= 120, "≤ 120 MB")),
    row("memory", "RSS peak MB (1,000-question batches)", fixed(peak), "", "", verdict(peak <= 300, "≤ 300 MB"))
  ]
}
