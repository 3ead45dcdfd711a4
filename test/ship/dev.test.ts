/**
 * `scripts/dev start`, the README's way to run the service from a checkout: the server must be the
 * process a supervisor (or a user's `kill`) signals, not a pnpm or shell in front of it. And
 * `scripts/dev cli`, the README's `llm-batch …` commands from a checkout, in the caller's directory.
 * (`scripts/dev pack` is what test/ship/package.test.ts packs with.)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile, spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { promisify } from "node:util"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { repoRoot } from "../support/Cli.ts"
import { distLock } from "../support/distLock.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

describe("scripts/dev start", () => {
  it.live("runs the server as its own process: SIGTERM to that pid stops it with exit 0", () =>
    Effect.gen(function*() {
      // It builds the checkout's dist/ and runs it, which test/ship/package.test.ts builds too.
      yield* distLock
      const child = spawn("bash", [join(repoRoot, "scripts", "dev"), "start"], {
        cwd: repoRoot,
        env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, PORT: "0", LOG_LEVEL: "Info" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL")))
      let output = ""
      const url = yield* Effect.promise(() =>
        new Promise<string>((resolve, reject) => {
          const onData = (chunk: Buffer) => {
            output += chunk.toString()
            const match = /Listening on (http:\/\/[^\s]+)/.exec(output)
            if (match) resolve(match[1]!)
          }
          child.stdout.on("data", onData)
          child.stderr.on("data", onData)
          child.once("exit", (code) => reject(new Error(`exited early (${code}): ${output}`)))
        })
      )
      const health = yield* Effect.promise(() => fetch(`${url}/health`))
      expect(health.status).toBe(200)

      const exited = once(child, "exit")
      // The pid spawn() returned: bash exec'd into node, so it is the server's own pid.
      process.kill(child.pid!, "SIGTERM")
      const [code, signal] = yield* Effect.promise(() => exited)
      expect({ code, signal }, output).toEqual({ code: 0, signal: null })
    }).pipe(Effect.scoped), 180_000) // May first wait for package.test.ts's pack (the dist lock).

  it.live("scripts/dev cli runs the CLI from the sources, reading files from the caller's directory", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const elsewhere = mkdtempSync(join(tmpdir(), "llm-batch-dev-cli-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(elsewhere, { recursive: true, force: true })))
      writeFileSync(join(elsewhere, "batch.json"), JSON.stringify({ questions: [{ index: 1, question: "from a checkout?" }] }))
      const { stdout } = yield* Effect.promise(() =>
        promisify(execFile)(join(repoRoot, "scripts", "dev"), ["cli", "ask", "batch.json"], {
          cwd: elsewhere,
          env: {
            ...fakeEnvironment(upstream.url),
            PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
            DATA_DIR: join(elsewhere, "data")
          }
        })
      )
      const { results } = JSON.parse(stdout) as BatchResponse
      expect(results.map((r) => [r.index, r.status, r.result])).toEqual([[1, "success", "answer to: from a checkout?"]])
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 60_000)
})
