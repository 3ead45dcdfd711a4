import { tmpdir } from "node:os"
import { join } from "node:path"
import { configDefaults, defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"

// Node's compile cache for the workers (forked after this runs, so they inherit it) and for every
// process the tests start (test/support/childEnv.ts passes it on): `node src/…` from source then
// compiles and strips its modules once per machine, about a third of a spawn's CPU.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "llm-batch-test-compile-cache")

/**
 * The longest files first (docs/development.md, "Test suite timing"). Vitest orders the others by
 * their last duration, or by size when it has none (a fresh clone): a 40 s file started last would
 * run on alone after the rest. Files that keep the CPU busy with several service processes
 * alternate with ones that mostly wait (installs, builds, a browser), so three starting together
 * do not starve each other's processes into their timeouts.
 */
const startFirst = [
  "test/jobs/coldStart.test.ts",
  "test/ship/dockerfile.test.ts",
  "test/cli/jobs.test.ts",
  "test/ship/readme.test.ts",
  "test/jobs/replicas.test.ts",
  "test/ship/package.test.ts",
  "test/jobs/replicaResults.test.ts",
  "test/console/jobs.test.ts",
  "test/cli/ask.test.ts",
  "test/ship/dev.test.ts",
  "test/jobs/crash.test.ts",
  "test/console/run.test.ts",
  "test/security/heap.test.ts",
  "test/jobs/replicaCancel.test.ts",
  "test/jobs/postgres.test.ts",
  "test/http/shutdown.test.ts"
]

/**
 * Files that get a worker process of their own. heap.test.ts sends 34 MB bodies a server refuses
 * part way: the client must read the answer before its next write meets the closed connection
 * (EPIPE), which twice failed in a worker grown by the files before it, on a loaded machine.
 */
const ownProcess = ["test/security/heap.test.ts"]

class LongestFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    const rank = (spec: TestSpecification) => {
      const at = startFirst.findIndex((file) => spec.moduleId.endsWith(file))
      return at === -1 ? startFirst.length : at
    }
    return sorted.map((spec, position) => ({ spec, position }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.position - b.position)
      .map(({ spec }) => spec)
  }
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest's default on 2 cores is one file at a time; most files spend their time waiting on
    // child processes, Redis, PostgreSQL or a browser, so three at once keep both cores busy
    // (docs/development.md, "Test suite timing").
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: {
          name: "suite",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...ownProcess],
          // A worker runs file after file without importing effect and the sources again for each:
          // about a second of CPU a file. Tests keep their state in layers and scopes, not in
          // modules; the two files that build the checkout's dist/ take a lock for it
          // (test/support/distLock.ts).
          isolate: false
        }
      },
      { extends: true, test: { name: "own process", include: ownProcess, isolate: true } }
    ]
  }
})
