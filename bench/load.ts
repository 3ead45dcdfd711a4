/**
 * The load generator, run as its own process: POSTs single-question batches to /ask, a new question
 * every request so the cache never answers, with autocannon or with the lean raw-socket generator
 * (bench/rawLoad.ts). autocannon's latencies come from its per-response event, as its own summary
 * rounds them to whole milliseconds. The output includes this process's CPU per request.
 *
 *   node bench/load.ts <url> <connections> <seconds> [autocannon|raw] [portkey:<upstream base URL>]
 *     → {"rps", "p50", "p99", "requests", "cpuMsPerRequest"}
 *
 * With `portkey:…` (raw only) each request is the same question as an OpenAI chat completion for
 * the Portkey gateway, which forwards it to that upstream (bench/portkey.ts).
 */
import { randomUUID } from "node:crypto"
import { percentile } from "./lib.ts"
import { rawLoad } from "./rawLoad.ts"

const [url = "", connections = "1", seconds = "3", generator = "autocannon", target = "ask"] = process.argv.slice(2)

const withAutocannon = async () => {
  // Loaded only when used: its modules' start-up CPU would count against the raw generator.
  const { default: autocannon } = await import("autocannon")
  const latencies: Array<number> = []
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
  return { latencies, failed: result.errors + result.timeouts + result.non2xx }
}

const withRawSockets = () => {
  const tag = randomUUID()
  if (target.startsWith("portkey:")) {
    // What /ask sends upstream for a default question (bench/sdk.ts sends the same).
    return rawLoad(url, Number(connections), Number(seconds), (n) =>
      JSON.stringify({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `bench overhead [${tag}-${n}]` }],
        temperature: 0.2,
        max_tokens: 1000,
        logprobs: true
      }), [
      "x-portkey-provider: openai",
      `x-portkey-custom-host: ${target.slice("portkey:".length)}`,
      "authorization: Bearer sk-bench"
    ])
  }
  return rawLoad(url, Number(connections), Number(seconds), (n) =>
    JSON.stringify({ questions: [{ index: 1, question: `bench overhead [${tag}-${n}]` }] }))
}

const started = performance.now()
const { latencies, failed } = await (generator === "raw" ? withRawSockets() : withAutocannon())
const elapsed = (performance.now() - started) / 1_000
if (failed > 0) {
  process.stderr.write(`load: ${failed} requests failed\n`)
  process.exit(1)
}
const cpu = process.cpuUsage()
process.stdout.write(`${JSON.stringify({
  rps: latencies.length / elapsed,
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
  requests: latencies.length,
  // The load generator's own CPU: on a small machine it competes with the service for the cores.
  cpuMsPerRequest: (cpu.user + cpu.system) / 1_000 / latencies.length
})}\n`)
