/**
 * The checkout's dist/ is built by `scripts/dev start` (test/ship/dev.test.ts) and by `npm pack`'s
 * prepack (test/ship/package.test.ts). Both files run in the suite's pool with the others, so they
 * take this lock around their use of dist/: never two builds into it at once. The lock is a
 * directory (mkdir is atomic) holding its owner's pid; one whose owner died is taken over.
 */
import { Effect } from "effect"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "./Cli.ts"

const lockDir = join(repoRoot, "node_modules", ".cache", "llm-batch-dist.lock")
const ownerFile = join(lockDir, "pid")

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Takes the lock if free (or left by a dead process); false while another live process holds it. */
const tryTake = (): boolean => {
  mkdirSync(join(lockDir, ".."), { recursive: true })
  try {
    mkdirSync(lockDir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    let owner = Number.NaN
    try {
      owner = Number(readFileSync(ownerFile, "utf8"))
    } catch {
      // Just made by its owner, pid not written yet: busy.
      return false
    }
    if (alive(owner)) return false
    rmSync(lockDir, { recursive: true, force: true })
    return tryTake()
  }
  writeFileSync(ownerFile, String(process.pid))
  return true
}

const release = () => rmSync(lockDir, { recursive: true, force: true })

/** Waits for the lock (up to 5 minutes; another run's build takes well under one). */
const acquire = async () => {
  const deadline = Date.now() + 300_000
  while (!tryTake()) {
    if (Date.now() > deadline) {
      throw new Error(`${lockDir} was held for 5 minutes: if no test run is building dist/, remove it`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Runs `use` holding the lock. */
export const withDistLock = async <A>(use: () => Promise<A> | A): Promise<A> => {
  await acquire()
  try {
    return await use()
  } finally {
    release()
  }
}

/** The lock for the rest of a scope, for an Effect test. */
export const distLock = Effect.acquireRelease(Effect.promise(acquire), () => Effect.sync(release))
