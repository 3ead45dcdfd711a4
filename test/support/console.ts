/**
 * The web console, built from web/ by the function `pnpm build` uses, at most once per test file
 * (vitest runs each in its own process), into a temporary directory removed after the file's
 * tests. Tests never depend on a prior `pnpm build`: dist/ may not exist.
 */
import { afterAll } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildConsole } from "../../scripts/build.ts"

let built: { readonly directory: string; readonly done: Promise<string> } | undefined

// Imported by a test file, this registers on that file: its build goes when its tests are done.
afterAll(() => {
  if (built !== undefined) rmSync(built.directory, { recursive: true, force: true })
  built = undefined
})

/**
 * The directory of the built console (`index.html`, `assets/`), for CONSOLE_DIR. The first call
 * builds it (seconds: give that test or a `beforeAll` room).
 */
export const builtConsoleDir = (): Promise<string> => {
  if (built === undefined) {
    const directory = mkdtempSync(join(tmpdir(), "llm-batch-console-"))
    built = { directory, done: buildConsole(directory).then(() => directory) }
  }
  return built.done
}

export const builtConsole: Effect.Effect<string> = Effect.promise(builtConsoleDir)
