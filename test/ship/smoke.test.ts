/**
 * scripts/smoke against the real service (the test server over the fake upstream): it sends the
 * original example batch, prints every result, and its exit code says whether all succeeded.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { repoRoot } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const smoke = (args: ReadonlyArray<string>) =>
  Effect.promise(() =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, "scripts/smoke"), ...args], { env: { PATH: process.env.PATH ?? "" } })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk) => (stdout += chunk))
      child.stderr.on("data", (chunk) => (stderr += chunk))
      child.on("error", reject)
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
  )

describe("scripts/smoke", () => {
  it.live("sends the example batch to --url and prints the chained results", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const run = yield* smoke(["--url", server.url])
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^Q1 {2}success .*\n {4}Paris$/m)
      expect(run.stdout).toMatch(/^Q2 {2}success /m)
      expect(run.stdout).toMatch(/^Q3 {2}success /m)
      expect(upstream.callsFor("population")[0]!.prompt).toContain("population of Paris?")
      expect(run.stderr).toContain("smoke: 3/3 succeeded")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("exits 1 when a question failed and 2 when the service is unreachable", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      upstream.always("2 + 2", { status: 400 })
      const failed = yield* smoke(["--url", server.url])
      expect(failed.code).toBe(1)
      expect(failed.stdout).toMatch(/^Q3 {2}error /m)
      const unreachable = yield* smoke(["--url", "http://127.0.0.1:1"])
      expect(unreachable.code).toBe(2)
      expect(unreachable.stderr).toContain("cannot reach llm-batch at http://127.0.0.1:1")
    }).pipe(Effect.provide(TestServer.layer())))
})
