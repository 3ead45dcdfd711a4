/**
 * The package as people install it: `npm pack` (whose `prepack` builds dist/), then a global install
 * into a temporary prefix and a consumer project, both outside the checkout. The CLI must run from
 * any directory, and `llm-batch/client` must typecheck under `tsc --init`'s defaults and load
 * nothing but itself and `effect`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { repoRoot, runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const work = mkdtempSync(join(tmpdir(), "llm-batch-package-"))
const prefix = join(work, "global")
const consumer = join(work, "consumer")
// npm runs `prepack` with the `node` on PATH: the one running these tests (≥ 22.18).
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` }
const tsc = join(repoRoot, "node_modules", ".bin", "tsc")
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd,
    env,
    encoding: "utf8"
  })
let tarball = ""

beforeAll(() => {
  npm(["pack", "--pack-destination", work], repoRoot)
  tarball = join(work, readdirSync(work).find((name) => name.endsWith(".tgz"))!)
  npm(["install", "--global", "--prefix", prefix, tarball], work)
  mkdirSync(consumer)
  npm(["init", "-y"], consumer)
  npm(["pkg", "set", "type=module"], consumer)
  npm(["install", tarball], consumer)
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

  it("a project made by `tsc --init` typechecks an import of llm-batch/client", () => {
    execFileSync(tsc, ["--init"], { cwd: consumer, env })
    writeFileSync(
      join(consumer, "index.ts"),
      [
        `import { Effect } from "effect"`,
        `import { LlmBatchClient, type ResultItem } from "llm-batch/client"`,
        `const program = Effect.gen(function*() {`,
        `  const client = yield* LlmBatchClient`,
        `  const { results } = yield* client.Ask({ questions: [{ index: 1, question: "2 + 2?" }] })`,
        `  const first: ResultItem | undefined = results[0]`,
        `  return first?.status`,
        `})`,
        `export const run = () =>`,
        `  Effect.runPromise(program.pipe(Effect.provide(LlmBatchClient.layer({ url: "http://127.0.0.1:8000/rpc" }))))`
      ].join("\n")
    )
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
