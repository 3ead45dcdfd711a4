/**
 * `scripts/dev start`, the README's way to run the service from a checkout: the server must be the
 * process a supervisor (or a user's `kill`) signals, not a pnpm or shell in front of it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { dirname, join } from "node:path"
import { repoRoot } from "../support/Cli.ts"

describe("scripts/dev start", () => {
  it.live("runs the server as its own process: SIGTERM to that pid stops it with exit 0", () =>
    Effect.gen(function*() {
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
    }), 60_000)
})
