/**
 * A/B of CPU per single-question `/ask` between builds or settings: each variant's service runs
 * side by side against one instant upstream, and the same load (bench/load.ts, raw, 32 clients)
 * goes to each in turn, rotating the order, for ROUNDS rounds. CPU per request is read from /proc,
 * so it is far less sensitive to what else the machine runs than req/s; figures are medians.
 *
 *   node bench/ab.ts ROUNDS LABEL=ENTRY[,VAR=value...] ...
 *     e.g. node bench/ab.ts 6 base=/tmp/a/main.js new=/tmp/b/main.js off=/tmp/b/main.js,METRICS=false
 *   (ENTRY: a bundled dist/main.js, as `node scripts/build.ts OUTDIR` writes)
 */
import { fixed, loadOn, median, startService, startUpstream, stopAll } from "./lib.ts"

const [roundsText = "6", ...specs] = process.argv.slice(2)
const variants = specs.map((spec) => {
  const [label = "", rest = ""] = spec.split("=", 2).length === 2 ? [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)] : []
  const [entry = "", ...settings] = rest.split(",")
  return { label, entry, env: Object.fromEntries(settings.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)])) }
})

try {
  const upstream = await startUpstream()
  const services = await Promise.all(variants.map((v) => startService(upstream, v.env, [], v.entry)))
  const samples = variants.map(() => ({ cpu: [] as Array<number>, rps: [] as Array<number> }))
  const load = async (i: number) => {
    const service = services[i]!
    const { cpuMs, rps } = await loadOn(service.pid, `http://127.0.0.1:${service.port}/ask`, { clients: 32, seconds: 3 })
    return { cpu: cpuMs, rps }
  }
  for (let i = 0; i < variants.length; i++) await load(i) // warm-up
  for (let round = 0; round < Number(roundsText); round++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (round + k) % variants.length
      const { cpu, rps } = await load(i)
      samples[i]!.cpu.push(cpu)
      samples[i]!.rps.push(rps)
    }
  }
  variants.forEach((v, i) =>
    process.stdout.write(
      `${v.label.padEnd(12)} CPU ms/request median ${fixed(median(samples[i]!.cpu), 3)} [${samples[i]!.cpu.map((c) => fixed(c, 2)).join(" ")}]  req/s median ${fixed(median(samples[i]!.rps))}\n`
    )
  )
} finally {
  await stopAll()
}
