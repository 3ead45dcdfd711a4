/**
 * `llm-batch estimate|submit|status|results|cancel|jobs` as a user runs them: child processes, clients of
 * the real server (its jobs in a temporary DATA_DIR) over the fake upstream. stdout holds only
 * JSON; the exit code says what happened.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { JobEstimate } from "../../src/domain/Estimate.ts"
import { runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"
import { decodeJob, parseResults, waitForJob } from "../support/jobs.ts"

const decodeEstimate = Schema.decodeUnknownSync(JobEstimate, { onExcessProperty: "error" })

const scratch = mkdtempSync(join(tmpdir(), "llm-batch-cli-jobs-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const tempFile = (name: string, content: string) => {
  const path = join(scratch, name)
  writeFileSync(path, content)
  return path
}

const jsonl = (items: ReadonlyArray<unknown>) => items.map((item) => JSON.stringify(item)).join("\n") + "\n"

/** Runs `llm-batch <args>` against the test server (LLM_BATCH_URL), with `env` added. */
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}, stdin?: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* runCli(args, { env: { LLM_BATCH_URL: server.url, ...env }, ...(stdin === undefined ? {} : { stdin }) })
  })

/** A loopback port nothing listens on. */
const closedPort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })
)

// Each case starts a Node process (~2 s unloaded, much more when the whole suite runs).
const timeout = 120_000

describe("llm-batch submit", () => {
  it.live("--wait on a small job prints every result as NDJSON on stdout, progress on stderr, exit 0", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const file = tempFile("chain.jsonl", jsonl([
        { question: "What is the capital of France?", method: "sequential" },
        { question: "What is the population of {Q1_result}?", method: "sequential" },
        { question: "What is 2 + 2?" }
      ]))
      const run = yield* cli(["submit", file, "--wait"])
      expect(run.code, run.stderr).toBe(0)
      const results = parseResults(run.stdout)
      expect(results.map((r) => [r.index, r.status]).sort()).toEqual([[1, "success"], [2, "success"], [3, "success"]])
      expect(upstream.callsFor("population")[0]!.prompt).toBe("What is the population of Paris?")
      expect(run.stderr).toMatch(/^submitted batch_\w+ \(3 questions\)/)
      expect(run.stderr).toContain("3 questions: 3 ok, 0 failed")
    }).pipe(Effect.provide(TestServer.layer())), timeout)

  it.live("--wait exits 1 when a question failed, after printing every result", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("broken", { status: 400 })
      const run = yield* cli(["submit", "-", "--wait"], {}, jsonl([{ question: "fine" }, { question: "broken" }]))
      expect(run.code, run.stderr).toBe(1)
      expect(parseResults(run.stdout).map((r) => [r.index, r.status]).sort()).toEqual([[1, "success"], [2, "error"]])
      expect(run.stderr).toMatch(/question 2 failed/)
    }).pipe(Effect.provide(TestServer.layer())), timeout)

  it.live("prints the Job; status, results, jobs and cancel read and change it", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Longer than the four CLI runs before the cancel take on a loaded machine (~20 s each).
      upstream.always("slow", { delayMs: 180_000 })
      const file = tempFile("job.json", JSON.stringify({
        questions: [{ index: 1, question: "quick" }, { index: 2, question: "slow" }],
        metadata: { run: "cli" }
      }))
      const submitted = yield* cli(["submit", file])
      expect(submitted.code, submitted.stderr).toBe(0)
      const job = decodeJob(JSON.parse(submitted.stdout))
      expect(job.metadata).toEqual({ run: "cli" })
      yield* eventually(() => upstream.callsFor("slow").length === 1)

      const listed = yield* cli(["jobs"])
      expect(listed.code, listed.stderr).toBe(0)
      expect((JSON.parse(listed.stdout) as { data: Array<{ id: string }> }).data.map((j) => j.id)).toEqual([job.id])

      const cancelled = yield* cli(["cancel", job.id])
      expect(cancelled.code, cancelled.stderr).toBe(0)
      expect(["cancelling", "cancelled"]).toContain(decodeJob(JSON.parse(cancelled.stdout)).status)
      yield* waitForJob(job.id)

      // Independent reads of the ended job: one process start's wait, not two.
      const [status, results] = yield* Effect.all([cli(["status", job.id]), cli(["results", job.id, "--follow"])], {
        concurrency: "unbounded"
      })
      expect(status.code, status.stderr).toBe(0)
      expect(decodeJob(JSON.parse(status.stdout))).toMatchObject({ id: job.id, status: "cancelled" })

      expect(results.code, results.stderr).toBe(0)
      const byIndex = new Map(parseResults(results.stdout).map((r) => [r.index, r]))
      expect(byIndex.get(2)?.error_message).toContain("cancelled")
    }).pipe(Effect.provide(TestServer.layer())), timeout)

  it.live("refuses a bad file before anything is sent, naming its lines (exit 2)", () =>
    Effect.gen(function*() {
      const [run, duplicate] = yield* Effect.all([
        cli(["submit", tempFile("bad.jsonl", `{"question": "ok"}\n{"question": "x", "temprature": 1}\n`)]),
        cli(["submit", tempFile("dup.jsonl", `{"question": "a"}\n{"index": 1, "question": "b"}\n`)])
      ], { concurrency: "unbounded" })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain("line 2: temprature: unknown field")
      expect(run.stdout).toBe("")
      expect(duplicate.code).toBe(2)
      expect(duplicate.stderr).toContain("line 2: index: index 1 is already used by line 1")
    }).pipe(Effect.provide(TestServer.layer())), timeout)
})

describe("llm-batch submit --lane", () => {
  it.live("sets the job's lane over the file's own; the file's lane holds without it; another lane is exit 2", () =>
    Effect.gen(function*() {
      const lines = tempFile("lane.jsonl", jsonl([{ question: "on a lane" }]))
      const auto = tempFile("lane.json", JSON.stringify({ questions: [{ index: 1, question: "on a lane" }], lane: "auto" }))
      const [flag, overridden, own, bad] = yield* Effect.all([
        cli(["submit", lines, "--lane", "batch"]),
        cli(["submit", auto, "--lane", "sync"]),
        cli(["submit", auto]),
        cli(["submit", lines, "--lane", "fast"])
      ], { concurrency: "unbounded" })
      for (const [run, lane] of [[flag, "batch"], [overridden, "sync"], [own, "auto"]] as const) {
        expect(run.code, run.stderr).toBe(0)
        expect(decodeJob(JSON.parse(run.stdout)).lane).toBe(lane)
      }
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('Invalid value for flag --lane: "fast". Expected: "sync" | "batch" | "auto"')
    }).pipe(Effect.provide(TestServer.layer())), timeout)
})

describe("the job commands' failures", () => {
  it.live("an unreachable service is one line saying where it looked and what to do, exit 3", () =>
    Effect.gen(function*() {
      const url = `http://127.0.0.1:${yield* closedPort}`
      const commands = [["jobs"], ["status", "batch_x"], ["submit", "-"]]
      const runs = yield* Effect.forEach(
        commands,
        (args) => runCli(args, { env: { LLM_BATCH_URL: url }, stdin: `{"question": "q"}\n` }),
        { concurrency: "unbounded" }
      )
      for (const [i, args] of commands.entries()) {
        const run = runs[i]!
        expect(run.code, args.join(" ")).toBe(3)
        expect(run.stderr, args.join(" ")).toContain(`cannot reach llm-batch at ${url}`)
        expect(run.stderr, args.join(" ")).toContain("llm-batch serve")
        expect(run.stderr, args.join(" ")).not.toMatch(/\n\s+at /)
        expect(run.stdout).toBe("")
      }
    }), timeout)

  it.live("an unknown job is exit 2 naming it; a missing or wrong key is exit 2 saying how to pass one", () =>
    Effect.gen(function*() {
      const [unknown, missing, wrong] = yield* Effect.all([
        cli(["status", "batch_nope"], { LLM_BATCH_API_KEY: "the-key" }),
        cli(["jobs"]),
        cli(["results", "batch_nope", "--api-key", "wrong"])
      ], { concurrency: "unbounded" })
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain("no batch job batch_nope")
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain("LLM_BATCH_API_KEY")
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain("invalid API key")
    }).pipe(Effect.provide(TestServer.layer({ API_KEYS: "the-key" }))), timeout)
})

describe("llm-batch estimate", () => {
  it.live("prints the estimate as JSON on stdout and a summary on stderr, sending nothing; a bad file is exit 2", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const file = tempFile("estimate.jsonl", jsonl([
        { question: "What is the capital of France?", model: "openai/gpt-4o-mini", max_tokens: 100 },
        { question: "Shorter: {Q1_result}", model: "openai/gpt-4o-mini", max_tokens: 20 }
      ]))
      const [run, bad] = yield* Effect.all([
        cli(["estimate", file, "--lane", "batch"]),
        cli(["estimate", tempFile("estimate-bad.jsonl", `{"question": "ok"}\n{"question": "x", "temprature": 1}\n`)])
      ], { concurrency: "unbounded" })
      expect(run.code, run.stderr).toBe(0)
      expect(decodeEstimate(JSON.parse(run.stdout))).toMatchObject({ questions: 2, waves: 2, lane: "batch" })
      expect(run.stderr).toMatch(/^2 questions in 2 waves; prompt tokens \d+ to \d+ \(exact: openai\/gpt-4o-mini\)/)
      expect(run.stderr).toMatch(/\nbatch: \$0\.\d+ to \$0\.\d+, 2 min to 48 h\n/)
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain("line 2: temprature: unknown field")
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())), timeout)
})
