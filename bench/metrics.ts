/**
 * What metrics cost: two fresh services side by side, one with metrics (the default) and one with
 * METRICS=false, the same single-question load (bench/load.ts, raw sockets, 32 clients) on each in
 * turn, alternating which goes first. CPU per `/ask` of each process; the ratio is taken in each pair.
 */
import { benchScript, cpuMsOf, field, fixed, median, row, type Row, runJson, type Service, startService, type Upstream, verdict } from "./lib.ts"

const clients = 32
const seconds = 3
const pairs = 5

const cpuPerAsk = async (service: Service): Promise<number> => {
  const before = cpuMsOf(service.pid)
  const url = `http://127.0.0.1:${service.port}/ask`
  const result = await runJson(process.execPath, [benchScript("load.ts"), url, String(clients), String(seconds), "raw"])
  return (cpuMsOf(service.pid) - before) / Number(field(result, "requests"))
}

export const metricsCost = async (upstream: Upstream): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(0)
  // Both fresh, so both have run the same load before (JIT, pools) when measured.
  const on = await startService(upstream, { METRICS: "true" })
  const off = await startService(upstream, { METRICS: "false" })
  try {
    for (let warm = 0; warm < 2; warm++) {
      await cpuPerAsk(on)
      await cpuPerAsk(off)
    }
    const samples: Array<{ readonly on: number; readonly off: number }> = []
    for (let pair = 0; pair < pairs; pair++) {
      if (pair % 2 === 0) {
        const a = await cpuPerAsk(on)
        samples.push({ on: a, off: await cpuPerAsk(off) })
      } else {
        const b = await cpuPerAsk(off)
        samples.push({ on: await cpuPerAsk(on), off: b })
      }
    }
    const ratio = median(samples.map((s) => s.on / s.off))
    return [
      row(
        `metrics on vs off, ${clients} clients`,
        "CPU ms per request",
        fixed(median(samples.map((s) => s.on)), 3),
        fixed(median(samples.map((s) => s.off)), 3),
        fixed(ratio, 3),
        verdict(ratio <= 1.03, "within 3 % of METRICS=false")
      )
    ]
  } finally {
    await on.stop()
    await off.stop()
  }
}
