/**
 * Runs the real `llm-batch` command line (`node src/cli/main.ts`) as a child process, the way a
 * user or a script would, and collects its exit code, stdout and stderr separately.
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { compileCacheEnv } from "./childEnv.ts"
import { makeDataDir, removeDataDir } from "./dataDir.ts"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
export const cliPath = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  /** The whole environment of the child (nothing is inherited but PATH and NODE_COMPILE_CACHE; DATA_DIR is a fresh one unless given). */
  readonly env?: Readonly<Record<string, string>>
  /** Written to the child's stdin, which is then closed. */
  readonly stdin?: string
  readonly cwd?: string
  readonly timeoutMs?: number
  /** The CLI's entry file (default src/cli/main.ts; the bundle test passes dist/cli.js). */
  readonly entry?: string
}

export const runCli = (args: ReadonlyArray<string>, options: CliOptions = {}) =>
  Effect.promise(() =>
    new Promise<CliRun>((resolve, reject) => {
      const dataDir = options.env?.DATA_DIR === undefined ? makeDataDir() : undefined
      const child = spawn(process.execPath, [options.entry ?? cliPath, ...args], {
        cwd: options.cwd ?? repoRoot,
        env: { PATH: process.env.PATH ?? "", ...compileCacheEnv(), ...(dataDir === undefined ? {} : { DATA_DIR: dataDir }), ...options.env },
        stdio: ["pipe", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        reject(new Error(`llm-batch ${args.join(" ")} did not exit within ${options.timeoutMs ?? 90_000} ms\n${stderr}`))
      }, options.timeoutMs ?? 90_000)
      child.on("error", reject)
      child.on("close", (code) => {
        clearTimeout(timer)
        if (dataDir !== undefined) removeDataDir(dataDir)
        resolve({ code, stdout, stderr })
      })
      child.stdin.end(options.stdin ?? "")
    })
  )
