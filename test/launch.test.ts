/**
 * How the real processes start and end (src/launch.ts): a taken port is the same one-line message
 * from `node src/main.ts` and `llm-batch serve`; a signal stops a server with exit 0 and
 * interrupts `llm-batch ask` with 130.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { compileCacheEnv } from "./support/childEnv.ts"
import { cliPath, repoRoot, runCli } from "./support/Cli.ts"
import { FakeUpstream } from "./support/FakeUpstream.ts"
import { fakeEnvironment } from "./support/TestServer.ts"

/** A port of 127.0.0.1 (the service's default HOST) held by this process until the scope closes. */
const takenPort = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly port: number; readonly close: () => void }>((resolve, reject) => {
      const server = createServer()
      server.once("error", reject)
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        if (address === null || typeof address === "string") return reject(new Error("no port"))
        resolve({ port: address.port, close: () => server.close() })
      })
    })
  ),
  (taken) => Effect.sync(taken.close)
)

/** The line that says why the server could not start. */
const cannotListenLine = (output: string) => output.split("\n").find((line) => line.includes("cannot listen:"))

interface Running {
  readonly output: () => string
  readonly signal: (signal: NodeJS.Signals) => void
  readonly exited: Promise<number | null>
}

/** Polls `condition` until it holds; a generous bound, so a loaded machine does not flake. */
const until = (condition: () => boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 60_000
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error("condition not met within 60 s"))
      yield* Effect.sleep(20)
    }
  })

/**
 * `llm-batch ARGS`: stdin gets `input` and is closed, or is held open as an MCP host does when
 * there is none. SIGKILLed if the test leaves it running.
 */
const spawnCli = (args: ReadonlyArray<string>, env: Record<string, string>, input?: string) =>
  Effect.acquireRelease(
    Effect.sync((): Running => {
      const child = spawn(process.execPath, [cliPath, ...args], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? "", ...compileCacheEnv(), ...env },
        stdio: ["pipe", "pipe", "pipe"]
      })
      let output = ""
      child.stdout.on("data", (chunk) => (output += chunk))
      child.stderr.on("data", (chunk) => (output += chunk))
      if (input !== undefined) child.stdin.end(input)
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      return { output: () => output, signal: (signal) => child.kill(signal), exited }
    }),
    (running) => Effect.sync(() => running.signal("SIGKILL"))
  )

describe("starting and stopping the process", () => {
  it.live("a taken port: node src/main.ts and llm-batch serve say the same one line and exit 1", () =>
    Effect.gen(function*() {
      // Any listener will do: the point is the starting process's message, not who holds the port.
      const port = String((yield* takenPort).port)
      const [viaMain, viaCli] = yield* Effect.all([
        runCli([], { entry: "src/main.ts", env: { PORT: port } }),
        runCli(["serve", "--port", port])
      ], { concurrency: 2 })
      for (const run of [viaMain, viaCli]) {
        const output = run.stdout + run.stderr
        expect(run.code, output).toBe(1)
        expect(cannotListenLine(output), output).toContain(`EADDRINUSE: address already in use 127.0.0.1:${port}`)
        expect(cannotListenLine(output)).toContain("choose another port: PORT, or --port for llm-batch serve")
        // One line, not a stack trace.
        expect(output).not.toMatch(/^\s+at /m)
      }
      const message = (output: string) => cannotListenLine(output)!.slice(cannotListenLine(output)!.indexOf("cannot listen:"))
      expect(message(viaMain.stdout + viaMain.stderr)).toBe(message(viaCli.stdout + viaCli.stderr))
    }).pipe(Effect.scoped), 120_000)

  it.live("llm-batch mcp stops on SIGTERM with exit 0 while its host still holds stdin open", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const mcp = yield* spawnCli(["mcp"], { ...fakeEnvironment(upstream.url), LOG_LEVEL: "Info" })
      // Logged as its services are built: the server is up.
      yield* until(() => mcp.output().includes("cache:"))
      mcp.signal("SIGTERM")
      expect(yield* Effect.promise(() => mcp.exited), mcp.output()).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 120_000)

  it.live("llm-batch ask interrupted by SIGINT exits 130, the upstream call cancelled", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 60_000 })
      const ask = yield* spawnCli(["ask", "-"], fakeEnvironment(upstream.url), '{"index": 1, "question": "slow"}\n')
      yield* until(() => upstream.callsFor("slow").length === 1)
      ask.signal("SIGINT")
      expect(yield* Effect.promise(() => ask.exited), ask.output()).toBe(130)
      yield* until(() => upstream.aborted === 1)
    }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer)), 120_000)
})
