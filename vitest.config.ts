import { tmpdir } from "node:os"
import { join } from "node:path"
import { configDefaults, defineConfig } from "vitest/config"

// Node's compile cache for the workers (forked after this runs, so they inherit it) and for every
// process the tests start (test/support/childEnv.ts passes it on): `node src/…` from source then
// compiles and strips its modules once per machine, about a third of a spawn's CPU.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "llm-batch-test-compile-cache")

/** Both build into the checkout's dist/ (`scripts/dev start` and `npm pack`'s prepack): never at once. */
const buildsDist = ["test/ship/dev.test.ts", "test/ship/package.test.ts"]

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest's default on 2 cores is one file at a time; most files spend their time waiting on
    // child processes, Redis, PostgreSQL or a browser, so three at once keep both cores busy
    // (docs/development.md, "Test suite timing").
    maxWorkers: 3,
    projects: [
      {
        extends: true,
        test: { name: "suite", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...buildsDist] }
      },
      { extends: true, test: { name: "dist", include: buildsDist, fileParallelism: false } }
    ]
  }
})
