/**
 * The package as people install it: `scripts/dev pack` (`npm pack`, whose `prepack` builds dist/),
 * then a global install into a temporary prefix and a consumer project, both outside the checkout.
 * The CLI must run from any directory, and `llm-batch/client` must typecheck in a `tsc --init`
 * project changed as docs/rpc.md says, and load nothing but itself and `effect`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { repoRoot, runCli } from "../support/Cli.ts"
import { withDistLock } from "../support/distLock.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { runOnOldNode } from "../support/oldNode.ts"
import { codeBlocks } from "./markdown.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const work = mkdtempSync(join(tmpdir(), "llm-batch-package-"))
const prefix = join(work, "global")
const consumer = join(work, "consumer")
// scripts/dev and npm's `prepack` use the `node` on PATH: the one running these tests (≥ 22.18).
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` }
const tsc = join(repoRoot, "node_modules", ".bin", "tsc")
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd,
    env,
    encoding: "utf8"
  })
let tarball = ""

beforeAll(async () => {
  // prepack builds the checkout's dist/, which test/ship/dev.test.ts builds too.
  await withDistLock(() =>
    execFileSync(join(repoRoot, "scripts", "dev"), ["pack", "--pack-destination", work, "--loglevel=error"], { cwd: work, env })
  )
  tarball = join(work, readdirSync(work).find((name) => name.endsWith(".tgz"))!)
  npm(["install", "--global", "--prefix", prefix, tarball], work)
  mkdirSync(consumer)
  // The project docs/rpc.md describes: `npm init`, then `"type": "module"` and @types/node.
  npm(["init", "-y"], consumer)
  npm(["pkg", "set", "type=module"], consumer)
  npm(["install", tarball], consumer)
  npm(["install", "--save-dev", "@types/node"], consumer)
}, 180_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe("the npm package", () => {
  it.live("installed globally, `llm-batch ask FILE` runs from another directory", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const elsewhere = mkdtempSync(join(work, "cwd-"))
      writeFileSync(join(elsewhere, "batch.json"), JSON.stringify({ questions: [{ index: 1, question: "installed?" }] }))
      const run = yield* runCli(["ask", "batch.json"], {
        entry: join(prefix, "bin", "llm-batch"),
        cwd: elsewhere,
        env: fakeEnvironment(upstream.url)
      })
      expect(run.code, run.stderr).toBe(0)
      // JSON in, one JSON document out.
      const { results } = JSON.parse(run.stdout) as BatchResponse
      expect(results.map((r) => [r.index, r.status, r.result])).toEqual([[1, "success", "answer to: installed?"]])
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)

  it.live("installed globally, `llm-batch --help` and `llm-batch mcp` start", () =>
    Effect.gen(function*() {
      const help = yield* runCli(["--help"], { entry: join(prefix, "bin", "llm-batch"), cwd: work })
      expect(help.code, help.stderr).toBe(0)
      expect(help.stdout).toContain("llm-batch <subcommand>")
      const initialize = {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } }
      }
      const mcp = yield* runCli(["mcp"], {
        entry: join(prefix, "bin", "llm-batch"),
        cwd: work,
        stdin: `${JSON.stringify(initialize)}\n`
      })
      const first = JSON.parse(mcp.stdout.split("\n")[0]!) as { result?: { serverInfo?: { name?: string } } }
      expect(first.result?.serverInfo?.name, mcp.stderr).toBe("llm-batch")
    }), 60_000)

  it("installed globally, `llm-batch` on a Node older than 22.18 prints one line saying which Node to get, and exits 1", () => {
    const run = runOnOldNode(join(prefix, "bin", "llm-batch"), ["--help"], { shebang: true })
    expect(run.code, run.stderr).toBe(1)
    expect(run.stdout).toBe("")
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1)
    expect(run.stderr).toContain("llm-batch needs Node.js >= 22.18")
  })

  it("a project made by `tsc --init`, changed as docs/rpc.md says, typechecks the doc's example", () => {
    execFileSync(tsc, ["--init"], { cwd: consumer, env })
    const tsconfig = join(consumer, "tsconfig.json")
    const defaults = readFileSync(tsconfig, "utf8")
    expect(defaults).toContain(`"types": []`)
    writeFileSync(tsconfig, defaults.replace(`"types": []`, `"types": ["node"]`))
    const rpcDoc = readFileSync(join(repoRoot, "docs", "rpc.md"), "utf8")
    expect(rpcDoc).toContain(`"types": ["node"]`)
    expect(rpcDoc).toContain(`"type": "module"`)
    const example = codeBlocks(rpcDoc).find((block) => block.lang === "ts")!.text
    expect(example).toContain(`from "llm-batch/client"`)
    writeFileSync(join(consumer, "index.ts"), example)
    // Throws (with tsc's diagnostics on stdout) when the declarations do not resolve or check.
    execFileSync(tsc, ["--noEmit"], { cwd: consumer, env, encoding: "utf8" })
  })

  it("importing llm-batch/client loads only the client and effect (no SDK, Redis or Ajv)", () => {
    const script = [
      `import { registerHooks } from "node:module"`,
      `const loaded = new Set()`,
      `registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.add(r.url); return r } })`,
      `const client = await import("llm-batch/client")`,
      `if (typeof client.LlmBatchClient.layer !== "function") throw new Error("no LlmBatchClient.layer")`,
      `console.log(JSON.stringify([...loaded]))`
    ].join("\n")
    writeFileSync(join(consumer, "graph.mjs"), script)
    const loaded = JSON.parse(execFileSync(process.execPath, ["graph.mjs"], { cwd: consumer, encoding: "utf8" })) as Array<string>
    const packages = new Set(
      loaded.filter((url) => url.includes("/node_modules/")).map((url) => url.split("/node_modules/").at(-1)!.split("/")[0])
    )
    expect([...packages].sort()).toEqual(["effect", "llm-batch"])
  })
})
