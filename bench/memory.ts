/**
 * Startup and memory, on fresh service processes: time from spawn to the first 200 from /health;
 * RSS one second after that (idle); peak RSS (VmHWM) over a 1,000-question batch with a 200 ms
 * upstream and one with an instant upstream. Medians over runs.
 */
import { fixed, median, memoryOf, row, type Row, questions, startService, type Upstream, verdict } from "./lib.ts"

const runs = 3
const size = 1000

export const startupAndMemory = async (upstream: Upstream): Promise<ReadonlyArray<Row>> => {
  const startups: Array<number> = []
  const idles: Array<number> = []
  const peaks: Array<number> = []
  for (let run = 0; run < runs; run++) {
    const service = await startService(upstream)
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
    }
  }
  const startup = median(startups)
  const idle = median(idles)
  const peak = median(peaks)
  return [
    row("startup", "spawn → /health ms", fixed(startup), "", "", verdict(startup <= 1_000, "≤ 1,000 ms")),
    row("memory", "RSS idle MB", fixed(idle), "", "", verdict(idle <= 120, "≤ 120 MB")),
    row("memory", "RSS peak MB (1,000-question batches)", fixed(peak), "", "", verdict(peak <= 300, "≤ 300 MB"))
  ]
}
