/**
 * Issue 14: every command in the README is run by a test. Each command of its `sh` blocks is run
 * here — curl against the real server over the fake upstream; `scripts/dev start` as the real
 * server with the environment its block gives it; files, the CLI and scripts/smoke in a scratch
 * directory — or is on `coveredElsewhere`, naming the test that runs it. A README command that
 * is neither fails the first test. The JSON examples go through the real decoder, every relative
 * link in README.md and docs/ resolves, and docs/configuration.md covers .env.example.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { spawn } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { parseEnv } from "node:util"
import { BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { decodeBatchRequest } from "../../src/domain/decode.ts"
import { providerNames, providers } from "../../src/domain/providers.ts"
import { cliPath, repoRoot } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment, TestServer } from "../support/TestServer.ts"
import { brokenLinks, codeBlocks, type ShellCommand, shellCommands, splitAssignments } from "./markdown.ts"

const readme = readFileSync(join(repoRoot, "README.md"), "utf8")
/** Where the README's examples reach the service; replaced by the test server's URL. */
const readmeUrl = "http://127.0.0.1:8000"

/** Commands no test here can run (Docker, a global install, the suite itself), and the file that runs each. */
const coveredElsewhere: ReadonlyArray<{ readonly command: string; readonly by: string; readonly evidence: string }> = [
  { command: "scripts/dev pack", by: "test/ship/package.test.ts", evidence: `"scripts", "dev"), ["pack"` },
  { command: "npm install -g ./llm-batch-*.tgz", by: "test/ship/package.test.ts", evidence: `"install", "--global"` },
  { command: "docker compose up --build", by: "test/ship/compose.test.ts", evidence: "docker-compose.yml" },
  { command: "docker compose up --build", by: "test/ship/dockerfile.test.ts", evidence: "replayed in a clean directory" },
  { command: "scripts/dev test", by: ".ci/run", evidence: "scripts/dev test" },
  // `scripts/dev test` runs `pnpm test`.
  { command: "pnpm test", by: ".ci/run", evidence: "scripts/dev test" }
]

/** Run here in a scratch directory, in README order. */
const scratchCommands = [/^cat > [\w.-]+ <<\w+$/, /^cp \.env\.example \.env$/, /^llm-batch (ask|submit|run) /, /^scripts\/smoke$/]

type Step =
  | { readonly _tag: "Export"; readonly env: Readonly<Record<string, string>> }
  /** `scripts/dev start` itself is run by test/ship/dev.test.ts; here its environment is served. */
  | { readonly _tag: "Start"; readonly env: Readonly<Record<string, string>> }
  | { readonly _tag: "Curl" }
  | { readonly _tag: "Scratch" }
  | { readonly _tag: "Elsewhere" }
  | { readonly _tag: "Unknown" }

interface Planned {
  readonly command: ShellCommand
  readonly block: number
  readonly line: number
  readonly step: Step
}

const classify = (command: ShellCommand, exported: Readonly<Record<string, string>>): Step => {
  const { env, args } = splitAssignments(command.words)
  const line = args.join(" ")
  if (args[0] === "export") {
    const exports = splitAssignments(args.slice(1))
    return exports.args.length === 0 ? { _tag: "Export", env: exports.env } : { _tag: "Unknown" }
  }
  if (line === "scripts/dev start") return { _tag: "Start", env: { ...exported, ...env } }
  if (args[0] === "curl" && Object.keys(env).length === 0) return { _tag: "Curl" }
  if (scratchCommands.some((pattern) => pattern.test(line))) return { _tag: "Scratch" }
  if (coveredElsewhere.some((entry) => entry.command === command.text)) return { _tag: "Elsewhere" }
  return { _tag: "Unknown" }
}

const planned: ReadonlyArray<Planned> = codeBlocks(readme).filter((block) => block.lang === "sh").flatMap((block, index) => {
  let exported: Record<string, string> = {}
  return shellCommands(block.text).map((command) => {
    const step = classify(command, exported)
    if (step._tag === "Export") exported = { ...exported, ...step.env }
    return { command, block: index, line: block.line, step }
  })
})
const curls = planned.filter((p) => p.step._tag === "Curl")

const scratch = mkdtempSync(join(tmpdir(), "llm-batch-readme-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const runShell = (text: string, env: Readonly<Record<string, string>>) =>
  Effect.promise(() =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("bash", ["-c", text], { cwd: scratch, env })
      let stdout = ""
      let stderr = ""
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
      child.on("error", reject)
      child.on("close", (code) => {
        clearTimeout(timer)
        resolve({ code, stdout, stderr })
      })
    })
  )

const path = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`
const decodeResult = Schema.decodeUnknownSync(ResultItem)
const decodeResponse = Schema.decodeUnknownSync(BatchResponse, { onExcessProperty: "error" })

/** Runs one of the README's curl commands against `url`; every question of its body must succeed. */
const askWithCurl = (command: ShellCommand, url: string) =>
  Effect.gen(function*() {
    const body = command.words[command.words.indexOf("-d") + 1]!
    const request = yield* decodeBatchRequest(JSON.parse(body))
    const run = yield* runShell(command.text.replaceAll(readmeUrl, url), { PATH: path })
    expect(run.code, run.stderr).toBe(0)
    const results = command.text.includes("/ask/stream")
      ? run.stdout.trimEnd().split("\n").map((line) => decodeResult(JSON.parse(line)))
      : decodeResponse(JSON.parse(run.stdout)).results
    const byIndex = [...results].sort((a, b) => a.index - b.index)
    expect(byIndex.map((r) => [r.index, r.status, r.error_message]), run.stdout).toEqual(
      request.questions.map((q) => [q.index, "success", null]).sort((a, b) => Number(a[0]) - Number(b[0]))
    )
    return results
  })

/** The server a `scripts/dev start` line describes: no provider key but the ones its block sets, local URLs at the fake. */
const startEnvironment = (env: Readonly<Record<string, string>>, upstreamUrl: string) => {
  const server: Record<string, string> = {}
  for (const name of providerNames) for (const key of providers[name].keyVariables) server[key] = ""
  for (const [name, value] of Object.entries(env)) {
    server[name] = value.replace(/^https?:\/\/localhost:(\d+)/, `${upstreamUrl}/local-$1`)
  }
  return server
}

describe("README.md", () => {
  it("every command of its sh blocks is run here or by the test named in coveredElsewhere", () => {
    const unknown = planned.filter((p) => p.step._tag === "Unknown").map((p) => `README.md:${p.line}: ${p.command.text}`)
    expect(unknown, "README commands no test runs: run them here or list them in coveredElsewhere").toEqual([])
    for (const entry of coveredElsewhere) {
      const file = join(repoRoot, entry.by)
      expect(existsSync(file), entry.by).toBe(true)
      expect(readFileSync(file, "utf8"), `${entry.by} should run ${entry.command}`).toContain(entry.evidence)
    }
    expect(existsSync(join(repoRoot, "test/ship/dev.test.ts")), "scripts/dev start itself is run there").toBe(true)
  })

  it("stays under 300 lines", () => {
    expect(readme.split("\n").length).toBeLessThan(300)
  })

  it.live("its curl examples answer every question on the real server", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      expect(curls.length).toBeGreaterThan(0)
      for (const curl of curls) yield* askWithCurl(curl.command, server.url)
    }).pipe(Effect.provide(TestServer.layer())), 60_000)

  it.live("each `scripts/dev start`, with its block's environment and keys, answers the Quick start's question", () =>
    Effect.forEach(planned.filter((p) => p.step._tag === "Start"), (start) =>
      Effect.gen(function*() {
        const env = start.step._tag === "Start" ? start.step.env : {}
        const upstream = yield* FakeUpstream
        // The curl that follows in the same block, else the Quick start's ("ask as above").
        const following = planned.slice(planned.indexOf(start) + 1).find((p) => p.block === start.block && p.step._tag !== "Export")
        const curl = following?.step._tag === "Curl" ? following : curls[0]!
        const results = yield* Effect.gen(function*() {
          const server = yield* TestServer
          return yield* askWithCurl(curl.command, server.url)
        }).pipe(Effect.provide(TestServer.layerOn(startEnvironment(env, upstream.url))))
        const defaultModel = env.DEFAULT_MODEL
        if (defaultModel !== undefined) expect(new Set(results.map((r) => r.model))).toEqual(new Set([defaultModel]))
        const localPorts = Object.values(env).flatMap((value) => /^https?:\/\/localhost:(\d+)/.exec(value)?.slice(1) ?? [])
        for (const port of localPorts) {
          expect(upstream.requests.some((r) => r.path.startsWith(`/local-${port}/`)), `nothing reached localhost:${port}`).toBe(true)
        }
      }).pipe(Effect.provide(FakeUpstream.layer)), { discard: true }), 60_000)

  it.live("its file, CLI and smoke commands run in a scratch directory", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      mkdirSync(join(scratch, "bin"), { recursive: true })
      writeFileSync(join(scratch, "bin", "llm-batch"), `#!/bin/sh\nexec '${process.execPath}' '${cliPath}' "$@"\n`)
      chmodSync(join(scratch, "bin", "llm-batch"), 0o755)
      symlinkSync(join(repoRoot, "scripts"), join(scratch, "scripts"))
      writeFileSync(join(scratch, ".env.example"), readFileSync(join(repoRoot, ".env.example")))
      const env = { ...fakeEnvironment(upstream.url), PATH: `${join(scratch, "bin")}:${path}`, LLM_BATCH_URL: server.url }
      // The spreadsheet example's rows, answered as the sentiment response model asks.
      upstream.always("Sentiment of this review", { text: "{\"sentiment\": \"positive\", \"confidence\": 0.9}" })
      for (const { command } of planned.filter((p) => p.step._tag === "Scratch")) {
        const run = yield* runShell(command.text, env)
        expect(run.code, `${command.text}\n${run.stderr}`).toBe(0)
        // `ask` runs the batch itself; `submit --wait` has the test server (LLM_BATCH_URL) run it as a job.
        const ask = /^llm-batch (?:ask (\S+)|submit (\S+) --wait) > (\S+)$/.exec(command.words.join(" "))
        if (ask !== null) {
          const questions = readFileSync(join(scratch, ask[1] ?? ask[2]!), "utf8").split("\n").filter((line) => line.trim() !== "")
          const results = readFileSync(join(scratch, ask[3]!), "utf8").trimEnd().split("\n").map((line) => decodeResult(JSON.parse(line)))
          expect(results.map((r) => r.status)).toEqual(questions.map(() => "success"))
        }
        const dataset = /^llm-batch run (\S+) .* --out (\S+)$/.exec(command.words.join(" "))
        if (dataset !== null) {
          const rows = readFileSync(join(scratch, dataset[2]!), "utf8").trimEnd().split("\n")
          expect(rows[0]).toBe("id,text,status,answer_sentiment,answer_confidence,error_message,model,cost_usd")
          expect(rows.slice(1).every((row) => row.includes(",success,positive,0.9,,"))).toBe(true)
        }
        if (command.text === "cp .env.example .env") {
          expect(parseEnv(readFileSync(join(scratch, ".env"), "utf8"))).toHaveProperty("OPENAI_API_KEY")
        }
      }
      // Every {Q<n>_result} was filled in before a prompt left the service.
      expect(upstream.requests.filter((r) => r.allText.includes("_result}")).map((r) => r.prompt)).toEqual([])
    }).pipe(Effect.provide(TestServer.layer())), 60_000)

  it.live("its JSON examples decode: requests as a BatchRequest the server accepts, responses as a BatchResponse", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      for (const block of codeBlocks(readme).filter((b) => b.lang === "json")) {
        const value: unknown = JSON.parse(block.text)
        if (typeof value === "object" && value !== null && "questions" in value) {
          yield* decodeBatchRequest(value)
          const answer = yield* server.post("/ask", value)
          expect(answer.status, `README.md:${block.line}: ${answer.text}`).toBe(200)
        } else if (typeof value === "object" && value !== null && "results" in value) {
          decodeResponse(value)
        }
      }
    }).pipe(Effect.provide(TestServer.layer())), 60_000)
})

describe("docs/", () => {
  it("every relative link in README.md and docs/ names an existing file and heading", () => {
    const files = ["README.md", ...readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)]
    const broken = files.flatMap((file) => brokenLinks(join(repoRoot, file)).map((problem) => `${file}: ${problem}`))
    expect(broken).toEqual([])
  })

  it("docs/configuration.md documents every variable of .env.example", () => {
    const variables = [...readFileSync(join(repoRoot, ".env.example"), "utf8").matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!)
    const configuration = readFileSync(join(repoRoot, "docs/configuration.md"), "utf8")
    expect(variables.filter((name) => !configuration.includes(`\`${name}\``))).toEqual([])
  })

  it("docs/configuration.md has a row for every provider variable, with the default base URL of src/domain/providers.ts", () => {
    const rows = readFileSync(join(repoRoot, "docs/configuration.md"), "utf8").split("\n").filter((line) => line.startsWith("| `"))
    const rowOf = (variable: string) => rows.find((row) => row.startsWith(`| \`${variable}\` |`))
    const problems = providerNames.flatMap((name) => {
      const spec = providers[name]
      const [baseUrlVariable = "", ...baseUrlAliases] = spec.baseUrlVariables
      const [keyVariable, ...keyAliases] = spec.keyVariables
      const base = rowOf(baseUrlVariable)
      const key = keyVariable === undefined ? "" : rowOf(keyVariable)
      return [
        ...(base?.includes(`\`${spec.defaultBaseUrl}\``) ? [] : [`${baseUrlVariable}: no row with ${spec.defaultBaseUrl}`]),
        ...(key === undefined ? [`${keyVariable}: no row`] : []),
        ...baseUrlAliases.filter((alias) => !base?.includes(`\`${alias}\``)).map((alias) => `${alias}: not in ${baseUrlVariable}'s row`),
        ...keyAliases.filter((alias) => !key?.includes(`\`${alias}\``)).map((alias) => `${alias}: not in ${keyVariable}'s row`)
      ]
    })
    expect(problems).toEqual([])
  })
})
