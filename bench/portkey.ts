/**
 * Against the best gateway we can run here: the Portkey AI gateway (`@portkey-ai/gateway`, its own
 * Node server, started with its CLI entry as a separate process) forwarding to the same instant
 * upstream as the service. The same single-question load (bench/load.ts, raw sockets, 32 clients,
 * a new question every request) goes to `POST /ask` and to Portkey's `POST /v1/chat/completions`,
 * alternating which goes first; ratios are taken within each pair, figures are medians.
 * A third side is the floor of any gateway that keeps the SDK (bench/floorGateway.ts: node:http,
 * JSON.parse, one `openai` SDK call, nothing else): how far ahead of Portkey the SDK itself lets us be.
 */
import { once } from "node:events"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import {
  benchScript,
  field,
  fixed,
  freePort,
  http,
  type Load,
  loadOn,
  median,
  row,
  type Row,
  type Service,
  startChild,
  stopChild,
  type Upstream,
  verdict
} from "./lib.ts"

const clients = 32
const seconds = 3
const pairs = 6


/** Portkey's CLI (`npx @portkey-ai/gateway`), found through its package.json. */
const entry = () => {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve("@portkey-ai/gateway/package.json")), "build", "start-server.js")
}

const startPortkey = async () => {
  const port = await freePort()
  // production: no UI and no log console; --headless: no UI routes.
  const child = startChild(process.execPath, [entry(), `--port=${port}`, "--headless"], { NODE_ENV: "production" })
  const deadline = performance.now() + 15_000
  while (performance.now() < deadline) {
    const up = await http(port, "GET", "/").then((r) => r.status === 200, () => false)
    if (up) return { port, pid: child.pid!, stop: () => stopChild(child) }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error("Portkey did not answer GET / within 15 s")
}

/** bench/floorGateway.ts against the same upstream. */
const startFloor = async (upstream: Upstream) => {
  const child = startChild(process.execPath, [benchScript("floorGateway.ts"), upstream.baseUrl])
  const [line] = await once(child.stdout!, "data")
  return { port: Number(field(JSON.parse(String(line)), "port")), pid: child.pid!, stop: () => stopChild(child) }
}

const measure = (pid: number, url: string, target: string): Promise<Load> =>
  loadOn(pid, url, { clients, seconds, target })

export const portkey = async (upstream: Upstream, service: Service): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(0)
  const gateway = await startPortkey()
  const floor = await startFloor(upstream)
  try {
    const sides = {
      ours: () => measure(service.pid, `http://127.0.0.1:${service.port}/ask`, "ask"),
      theirs: () =>
        measure(gateway.pid, `http://127.0.0.1:${gateway.port}/v1/chat/completions`, `portkey:${upstream.baseUrl}`),
      floor: () => measure(floor.pid, `http://127.0.0.1:${floor.port}/ask`, "ask")
    }
    const orders = [["ours", "theirs", "floor"], ["theirs", "floor", "ours"], ["floor", "ours", "theirs"]] as const
    // Warm-up: JIT and connection pools on every side.
    for (const side of orders[0]) await sides[side]()
    const samples: Array<Record<keyof typeof sides, Load>> = []
    for (let pair = 0; pair < pairs; pair++) {
      const sample: Partial<Record<keyof typeof sides, Load>> = {}
      for (const side of orders[pair % orders.length]!) sample[side] = await sides[side]()
      samples.push({ ours: sample.ours!, theirs: sample.theirs!, floor: sample.floor! })
    }
    const pick = (side: "ours" | "theirs" | "floor", key: keyof Load) => median(samples.map((s) => s[side][key]))
    const ratio = median(samples.map((s) => s.ours.rps / s.theirs.rps))
    const p99Below = samples.filter((s) => s.ours.p99 < s.theirs.p99).length
    const scenario = `vs Portkey, ${clients} clients`
    return [
      row(scenario, "req/s", fixed(pick("ours", "rps")), fixed(pick("theirs", "rps")), fixed(ratio, 2), verdict(ratio >= 1.2, "≥ 1.2 × Portkey")),
      row(scenario, "p50 ms", fixed(pick("ours", "p50"), 2), fixed(pick("theirs", "p50"), 2)),
      row(
        scenario,
        "p99 ms",
        fixed(pick("ours", "p99"), 2),
        fixed(pick("theirs", "p99"), 2),
        fixed(pick("ours", "p99") / pick("theirs", "p99"), 2),
        verdict(pick("ours", "p99") < pick("theirs", "p99"), `below Portkey's (in ${p99Below} of ${pairs} pairs)`)
      ),
      row(scenario, "CPU ms per request", fixed(pick("ours", "cpuMs"), 2), fixed(pick("theirs", "cpuMs"), 2)),
      row(
        "SDK-only gateway vs Portkey",
        "req/s",
        fixed(pick("floor", "rps")),
        fixed(pick("theirs", "rps")),
        fixed(median(samples.map((s) => s.floor.rps / s.theirs.rps)), 2),
        "the ceiling for any gateway on the SDK"
      ),
      row("SDK-only gateway vs Portkey", "p99 ms", fixed(pick("floor", "p99"), 2), fixed(pick("theirs", "p99"), 2)),
      row("SDK-only gateway vs Portkey", "CPU ms per request", fixed(pick("floor", "cpuMs"), 2), fixed(pick("theirs", "cpuMs"), 2))
    ]
  } finally {
    await floor.stop()
    await gateway.stop()
  }
}
