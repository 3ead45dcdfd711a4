/**
 * A `.env` in the working directory, read with Node's own `process.loadEnvFile`: variables already
 * in the environment win, so a deployment's real settings are never overridden by a stray file.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"

/** Loads `<cwd>/.env` when there is one; returns its path, or undefined. */
export const loadDotEnv = (cwd: string = process.cwd()): string | undefined => {
  const path = join(cwd, ".env")
  if (!existsSync(path)) return undefined
  process.loadEnvFile(path)
  return path
}
