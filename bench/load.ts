/**
 * The load generator, run as its own process: autocannon POSTing single-question batches to /ask,
 * a new question every request (`[<id>]`) so the cache never answers. Latencies are collected
 * from autocannon's per-response event, as its own summary rounds them to whole milliseconds.
 *
 *   node bench/load.ts <url> <connections> <seconds>   → {"rps", "p50", "p99", "requests"}
 */
import autocannon from "autocannon"
import { percentile } from "./lib.ts"

const [url = "", connections = "1", seconds = "3"] = process.argv.slice(2)
const latencies: Array<number> = []
const started = performance.now()
const run = autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ questions: [{ index: 1, question: "bench overhead [<id>]" }] }),
  idReplacement: true
})
run.on("response", (_client, status, _bytes, ms) => {
  if (status === 200) latencies.push(ms)
})
const result = await run
const elapsed = (performance.now() - started) / 1_000
const failed = result.errors + result.timeouts + result.non2xx
if (failed > 0) {
  process.stderr.write(`load: ${failed} requests failed\n`)
  process.exit(1)
}
process.stdout.write(`${JSON.stringify({
  rps: latencies.length / elapsed,
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
  requests: latencies.length
})}\n`)
