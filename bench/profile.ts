/**
 * `pnpm bench:profile [clients] [seconds]`: the overhead scenario's load against a service started
 * with `--cpu-prof`, then the profile summed by self time per function and per package, so a hot
 * path can be found without opening DevTools. The .cpuprofile stays in the printed folder.
 * `pnpm bench:profile fanout [batches]`: the fan-out scenario's 1,000-question batches instead.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { benchScript, questions, runJson, startService, startUpstream, stopAll } from "./lib.ts"

interface ProfileNode {
  readonly id: number
  readonly children?: ReadonlyArray<number>
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const [first = "32", second] = process.argv.slice(2)
const fanoutBatches = first === "fanout" ? Number(second ?? "6") : undefined
const dir = mkdtempSync(join(tmpdir(), "llm-batch-profile-"))

try {
  const upstream = await startUpstream()
  // The sources, not the bundle: the same code, but each frame's file tells its package.
  const service = await startService(upstream, {}, ["--cpu-prof", `--cpu-prof-dir=${dir}`], "src/main.ts")
  const url = `http://127.0.0.1:${service.port}/ask`
  if (fanoutBatches === undefined) {
    await runJson(process.execPath, [benchScript("load.ts"), url, first, "2"]) // warm-up
    const load = await runJson(process.execPath, [benchScript("load.ts"), url, first, second ?? "5"])
    process.stdout.write(`load: ${JSON.stringify(load)}\n`)
  } else {
    await service.ask(questions(1000, `profile-warmup-${Date.now()}`))
    const times: Array<number> = []
    for (let batch = 0; batch < fanoutBatches; batch++) {
      times.push((await service.ask(questions(1000, `profile-${batch}-${Date.now()}`))).ms)
    }
    process.stdout.write(`fan-out: ${fanoutBatches} batches of 1,000 in ${times.map((ms) => ms.toFixed(0)).join(", ")} ms\n`)
  }
  await service.stop()
} finally {
  await stopAll()
}

const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"))
if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`)
const profile: Profile = JSON.parse(readFileSync(join(dir, file), "utf8"))

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfMs = new Map<number, number>()
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1_000))

/** `effect`, `openai`, `node:internal`, `src/…` — where a frame's code lives. */
const packageOf = (url: string): string => {
  const modules = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\/(?:dist\/)?(.*)$/.exec(url)
  // effect is most of the framework: its modules are told apart.
  if (modules) return modules[1] === "effect" ? `effect/${modules[2]}` : modules[1]!
  if (url.startsWith("node:")) return "node:internal"
  const own = /\/(src|bench)\/(.*)$/.exec(url)
  return own ? `${own[1]}/${own[2]}` : url === "" ? "(native/gc/idle)" : url
}

// Node's own code and natives are charged to the nearest caller that is not: who made the work.
const parentOf = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
const isOwnerless = (where: string) => where === "node:internal" || where === "(native/gc/idle)"
const ownerOf = (id: number): string => {
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const where = packageOf(byId.get(at)!.callFrame.url)
    if (!isOwnerless(where)) return where
  }
  const name = byId.get(id)!.callFrame.functionName
  return name.startsWith("(") ? name : "(node, no JS caller)"
}

const total = (groups: Map<string, number>, key: string, ms: number) => groups.set(key, (groups.get(key) ?? 0) + ms)
const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
const byOwner = new Map<string, number>()
for (const [id, ms] of selfMs) {
  const frame = byId.get(id)!.callFrame
  const where = packageOf(frame.url)
  total(byFunction, `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`, ms)
  total(byPackage, where, ms)
  total(byOwner, ownerOf(id), ms)
}
const print = (title: string, groups: Map<string, number>, top: number) => {
  const all = [...groups.values()].reduce((a, b) => a + b, 0)
  process.stdout.write(`\n${title} (self ms, share)\n`)
  for (const [name, ms] of [...groups].toSorted((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${ms.toFixed(0).padStart(8)}  ${((100 * ms) / all).toFixed(1).padStart(5)}%  ${name}\n`)
  }
}
print("by package", byPackage, 25)
print("by owner (node internals charged to their JS caller)", byOwner, 30)
print("by function", byFunction, 60)
process.stdout.write(`\nprofile: ${join(dir, file)}\n`)
