import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

// Node's compile cache for the workers (forked after this runs, so they inherit it) and for every
// process the tests start (test/support/childEnv.ts passes it on): `node src/…` from source then
// compiles and strips its modules once per machine, about a third of a spawn's CPU.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "llm-batch-test-compile-cache")

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
