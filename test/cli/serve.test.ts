/**
 * `llm-batch serve` as a child process: flags override the environment (here PORT), the server
 * answers /health and /ask, and SIGTERM ends it cleanly with exit code 0.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { compileCacheEnv } from "../support/childEnv.ts"
import { cliPath, repoRoot, runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { freePortPromise } from "../support/ports.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const freePort = Effect.promise(freePortPromise)

interface Served {
  readonly exited: Promise<number | null>
  readonly stop: () => void
  readonly log: () => string
}

/** Starts `llm-batch serve …`; the scope's end sends SIGTERM if the test has not. */
const serve = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync((): Served => {
      const child = spawn(process.execPath, [cliPath, "serve", ...args], { cwd: repoRoot, env: { PATH: process.env.PATH ?? "", ...compileCacheEnv(), ...env } })
      let log = ""
      child.stdout.on("data", (chunk) => (log += chunk))
      child.stderr.on("data", (chunk) => (log += chunk))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      return { exited, stop: () => child.kill("SIGTERM"), log: () => log }
    }),
    (served) => Effect.sync(served.stop)
  )

const untilHealthy = (url: string) =>
  Effect.promise(async () => {
    const deadline = Date.now() + 90_000
    for (;;) {
      const response = await fetch(url).catch(() => undefined)
      if (response?.ok) return (await response.json()) as unknown
      if (Date.now() > deadline) throw new Error(`${url} never answered 200`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  })

describe("llm-batch serve", () => {
  it.live("--port overrides PORT; the server answers /health and /ask, and exits 0 on SIGTERM", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const port = yield* freePort
      // PORT in the environment says one thing, the flag another: the flag wins.
      const served = yield* serve(["--port", String(port)], { ...fakeEnvironment(upstream.url), PORT: "1" })
      expect(yield* untilHealthy(`http://127.0.0.1:${port}/health`)).toMatchObject({ status: "ok" })

      const answer = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/ask`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ questions: [{ index: 1, question: "hello" }] })
        }).then((response) => response.json())
      )
      expect(answer).toMatchObject({ results: [{ index: 1, status: "success", result: "answer to: hello" }] })

      served.stop()
      expect(yield* Effect.promise(() => served.exited), served.log()).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 120_000)

  it.live("an invalid setting exits 2 naming the variable", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["serve", "--port", "70000"])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain("invalid setting: PORT: expected a value between 0 and 65535")
    }), 120_000)
})
