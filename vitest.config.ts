import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

// Node's compile cache for the workers (forked after this runs, so they inherit it) and for every
// process the tests start (test/support/childEnv.ts passes it on): `node src/…` from source then
// compiles and strips its modules once per machine, about a third of a spawn's CPU.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "llm-batch-test-compile-cache")

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest's default on 2 cores is one file at a time; most files spend their time waiting on
    // child processes, Redis, PostgreSQL or a browser, so three at once keep both cores busy
    // (docs/development.md, "Test suite timing").
    maxWorkers: 3,
    // A worker runs file after file without importing effect and the sources again for each: about
    // a second of CPU a file. Tests keep their state in layers and scopes, not in modules; the two
    // files that build the checkout's dist/ take a lock for it (test/support/distLock.ts).
    isolate: false
  }
})
