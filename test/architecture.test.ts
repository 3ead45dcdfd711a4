/**
 * The direction of imports in src/: surfaces → engine → services → config → domain, never back.
 * Each file belongs to a layer by its directory (or, at the top of src/, by its name); a file may
 * import its own layer or a lower one. The surfaces are one layer: the HTTP server mounts /mcp and
 * /rpc, and they share its envelope and body checks; who a caller is (config/caller.ts) sits below
 * every surface.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { compileCacheEnv } from "./support/childEnv.ts"
import { cliPath, repoRoot } from "./support/Cli.ts"

const src = join(repoRoot, "src")

/**
 * Low → high. `observability` (metrics, spans, the tracer and logger layers) sits beside `config`:
 * every layer above records into it, and it reads only config and domain.
 * `gateway` (rate limits, fallbacks, prices) sits beside `llm`, which calls it.
 * `validation` sits beside `cache`: it reads the LLM request types and the engine
 * calls it. `jobs`, the durable runner of the same engine, sits beside `batch`. `services.ts` wires
 * config, llm, cache and jobs into layers for every surface; `app.ts` is the HTTP server over them
 * and `launch.ts` how a server runs and ends; the CLI (`serve` launches `app.ts`) and the entry
 * points are on top.
 */
const layers: ReadonlyArray<ReadonlyArray<string>> = [
  ["domain"],
  ["config", "observability"],
  ["llm", "gateway"],
  ["cache", "validation"],
  ["batch", "jobs"],
  ["services.ts"],
  ["http", "rpc", "mcp"],
  ["app.ts", "launch.ts"],
  ["cli", "start.ts", "main.ts"]
]

const layerOf = (file: string): number | undefined => {
  const unit = relative(src, file).split("/")[0]!
  const found = layers.findIndex((names) => names.includes(unit))
  return found === -1 ? undefined : found
}

const sourceFiles = readdirSync(src, { recursive: true, encoding: "utf8" })
  .filter((name) => name.endsWith(".ts"))
  .map((name) => join(src, name))

// Static imports and re-exports (`import type` included) and dynamic `import("…")`.
const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm

const relativeImports = (file: string): ReadonlyArray<string> =>
  [...readFileSync(file, "utf8").matchAll(importPattern)]
    .map((match) => match[1]!)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => resolve(dirname(file), specifier))
    .filter((target) => target.startsWith(`${src}/`))

const name = (file: string) => relative(src, file)

describe("the architecture of src/", () => {
  it("places every source file in a layer", () => {
    expect(sourceFiles.length).toBeGreaterThan(30)
    expect(sourceFiles.filter((file) => layerOf(file) === undefined).map(name)).toEqual([])
  })

  it("has no import from a lower layer up to a higher one", () => {
    const upward = sourceFiles.flatMap((file) =>
      relativeImports(file)
        .filter((target) => (layerOf(target) ?? -1) > (layerOf(file) ?? Infinity))
        .map((target) => `${name(file)} → ${name(target)}`)
    )
    expect(upward).toEqual([])
  })

  it("sees the imports it checks (a known import of each kind is found)", () => {
    expect(relativeImports(join(src, "app.ts")).map(name)).toContain("services.ts")
    expect(relativeImports(join(src, "main.ts")).map(name)).toContain("start.ts")
    expect(relativeImports(join(src, "llm", "types.ts")).map(name)).toContain("domain/Batch.ts")
  })
})

/** The src/ modules a Node process loads for `args`, recorded by a module hook. */
const loadedModules = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const work = mkdtempSync(join(tmpdir(), "llm-batch-graph-"))
  try {
    const hook = [
      `import { registerHooks } from "node:module"`,
      `import { writeFileSync } from "node:fs"`,
      `const loaded = new Set()`,
      `registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.add(r.url); return r } })`,
      `process.on("exit", () => writeFileSync(${JSON.stringify(join(work, "loaded.json"))}, JSON.stringify([...loaded])))`
    ].join("\n")
    // An empty directory: no `.env` is read; stdin closed: `llm-batch mcp` ends at once.
    // The exit code is not this test's business: only which modules were loaded by then.
    spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(hook)}`, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "", ...compileCacheEnv() },
      input: "",
      stdio: ["pipe", "ignore", "ignore"],
      timeout: 20_000
    })
    const urls = JSON.parse(readFileSync(join(work, "loaded.json"), "utf8")) as Array<string>
    return urls.filter((url) => url.startsWith(`file://${src}/`)).map((url) => name(new URL(url).pathname))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

describe("stdio MCP", () => {
  // One process: the modules `llm-batch mcp` loads include src/mcp/stdio.ts's whole import graph,
  // so no HTTP module among them also means importing stdio.ts alone loads none.
  it("`llm-batch mcp` serves without loading the HTTP server, and src/mcp/stdio.ts imports none of it", () => {
    const loaded = loadedModules([cliPath, "mcp"])
    expect(loaded).toContain("mcp/stdio.ts")
    expect(loaded).toContain("cli/main.ts")
    expect(loaded.filter((file) => file.startsWith("http/") || file === "app.ts")).toEqual([])
  }, 30_000)
})
