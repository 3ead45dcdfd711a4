/**
 * Runs `node src/main.ts` (or another entry, such as the bundled `dist/main.js`) as a child process,
 * for tests of the real process: signals, logs.
 */
import { Effect } from "effect"
import { type ChildProcessByStdio, spawn } from "node:child_process"
import type { Readable } from "node:stream"
import { compileCacheEnv } from "./childEnv.ts"
import { scratchDataDir } from "./dataDir.ts"

export interface RunningService {
  readonly child: ChildProcessByStdio<null, Readable, Readable>
  readonly url: string
  /** Everything the process wrote to stdout and stderr so far. */
  readonly output: () => string
}

/**
 * Starts the service (LOG_LEVEL Info unless given) and waits for its "Listening on" line. Its job
 * store is in a DATA_DIR of its own unless `env` names one (a restart on the same store).
 */
export const startService = (env: Record<string, string>, entry = "src/main.ts", nodeOptions: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const dataDir = env.DATA_DIR ?? (yield* scratchDataDir)
    return yield* Effect.acquireRelease(
      Effect.promise(() => {
        const child = spawn(process.execPath, [...nodeOptions, entry], {
          env: { PATH: process.env.PATH ?? "", ...compileCacheEnv(), LOG_LEVEL: "Info", DATA_DIR: dataDir, ...env },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let output = ""
        return new Promise<RunningService>((resolve, reject) => {
          const onData = (chunk: Buffer) => {
            output += chunk.toString()
            const match = /Listening on (http:\/\/[^\s"]+)/.exec(output)
            if (match) resolve({ child, url: match[1]!, output: () => output })
          }
          child.stdout.on("data", onData)
          child.stderr.on("data", onData)
          child.once("exit", (code) => reject(new Error(`service exited early (${code}): ${output}`)))
        })
      }),
      ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    )
  })
