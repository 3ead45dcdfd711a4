/**
 * `pnpm bench`: starts its own upstream and the service as child processes on loopback, runs every
 * scenario and prints one Markdown table. Not a test: `pnpm test` never runs it.
 *
 *   pnpm bench                 every scenario
 *   pnpm bench overhead cache  only those (overhead, portkey, metrics, batch, fanout, cache, memory, jobs, readers, replicas,
 *                              estimate, batchlane, datasets)
 */
import { cpus, loadavg } from "node:os"
import { batchScaling } from "./batch.ts"
import { batchLane } from "./batchLane.ts"
import { cache } from "./cache.ts"
import { datasets, datasetsEndToEnd } from "./datasets.ts"
import { estimates } from "./estimate.ts"
import { fanout } from "./fanout.ts"
import { jobs } from "./jobs.ts"
import { renderTable, type Row, type Service, startService, startUpstream, stopAll, type Upstream } from "./lib.ts"
import { startupAndMemory } from "./memory.ts"
import { metricsCost } from "./metrics.ts"
import { overhead } from "./overhead.ts"
import { portkey } from "./portkey.ts"
import { readersScenario } from "./readers.ts"
import { replicas } from "./replicas.ts"

type Scenario = (upstream: Upstream, service: Service) => Promise<ReadonlyArray<Row>>

const scenarios: Record<string, Scenario> = {
  overhead,
  portkey,
  metrics: (upstream) => metricsCost(upstream),
  batch: batchScaling,
  fanout,
  cache,
  memory: (upstream) => startupAndMemory(upstream),
  jobs: (upstream) => jobs(upstream),
  readers: (upstream) => readersScenario(upstream),
  replicas: (upstream) => replicas(upstream),
  estimate: (upstream) => estimates(upstream),
  batchlane: () => batchLane(),
  datasets: async (upstream) => [...await datasets(), ...await datasetsEndToEnd(upstream)]
}

const chosen = process.argv.slice(2)
const unknown = chosen.filter((name) => !(name in scenarios))
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}; known: ${Object.keys(scenarios).join(", ")}\n`)
  process.exit(2)
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)))
}

const started = performance.now()
const loadBefore = loadavg()[0] ?? 0
const rows: Array<Row> = []
try {
  const upstream = await startUpstream()
  const service = await startService(upstream)
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (chosen.length > 0 && !chosen.includes(name)) continue
    const t0 = performance.now()
    rows.push(...await scenario(upstream, service))
    process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1_000).toFixed(1)} s\n`)
  }
} finally {
  await stopAll()
}

const cpu = cpus()[0]?.model ?? "unknown CPU"
process.stdout.write(
  `\n${renderTable(rows)}\n\n` +
    `machine: ${cpus().length} × ${cpu}, Node ${process.version}; ` +
    // Other work on the machine moves every figure: the 1-minute load average says how much there was.
    `load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after; ` +
    `total ${((performance.now() - started) / 1_000).toFixed(0)} s\n`
)
