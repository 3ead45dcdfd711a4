/**
 * A DATA_DIR of its own for each service a test starts: the embedded job store admits one process
 * per directory, and tests run in parallel. A test that restarts a service passes its own DATA_DIR.
 */
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const makeDataDir = (): string => mkdtempSync(join(tmpdir(), "llm-batch-data-"))

export const removeDataDir = (dir: string): void => rmSync(dir, { recursive: true, force: true })

/** A fresh directory for the scope, removed after it. */
export const scratchDataDir = Effect.acquireRelease(Effect.sync(makeDataDir), (dir) => Effect.sync(() => removeDataDir(dir)))
