/**
 * `llm-batch ask` as a user runs it: a child process against the fake upstream, with stdout,
 * stderr and the exit code checked separately (stdout must hold nothing but results).
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const exampleBatch = {
  questions: [
    { index: 1, question: "What is the capital of France?", method: "sequential" },
    { index: 2, question: "What is the population of {Q1_result}?", method: "sequential" },
    { index: 3, question: "What is 2 + 2?", method: "concurrent" }
  ]
}

const jsonl = (items: ReadonlyArray<unknown>) => items.map((item) => JSON.stringify(item)).join("\n") + "\n"

const scratch = mkdtempSync(join(tmpdir(), "llm-batch-cli-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const tempFile = (name: string, content: string) => {
  const path = join(scratch, name)
  writeFileSync(path, content)
  return path
}

/** Runs the CLI with every provider pointed at this test's fake upstream. */
const ask = (args: ReadonlyArray<string>, stdin?: string) =>
  Effect.gen(function*() {
    const upstream = yield* FakeUpstream
    return yield* runCli(["ask", ...args], { env: fakeEnvironment(upstream.url), ...(stdin === undefined ? {} : { stdin }) })
  })

// Each case starts a Node process (~2 s unloaded, much more when the whole suite runs).
const timeout = 120_000

describe("llm-batch ask", () => {
  it.live("runs a BatchRequest JSON file: {results} on stdout, progress on stderr, exit 0", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const run = yield* ask([tempFile("batch.json", JSON.stringify(exampleBatch))])
      expect(run.code, run.stderr).toBe(0)
      // The whole of stdout is one JSON document.
      const response = JSON.parse(run.stdout) as BatchResponse
      expect(response.results.map((r) => [r.index, r.status])).toEqual([[1, "success"], [2, "success"], [3, "success"]])
      expect(response.results[0]!.result).toBe("Paris")
      expect(upstream.callsFor("population")[0]!.prompt).toBe("What is the population of Paris?")
      // Not a terminal: one plain line per finished question, then a summary.
      expect(run.stderr).toMatch(/^\[1\/3\] question \d ok/m)
      expect(run.stderr).toMatch(/^\[3\/3\] question \d ok/m)
      expect(run.stderr).toContain("3 questions: 3 ok, 0 failed")
      expect(run.stderr).not.toContain("\x1b[")
    }).pipe(Effect.provide(FakeUpstream.layer)), timeout)

  it.live("reads JSONL from stdin and writes one result per line", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const run = yield* ask(["-"], jsonl(exampleBatch.questions))
      expect(run.code, run.stderr).toBe(0)
      const lines = run.stdout.trimEnd().split("\n")
      expect(lines).toHaveLength(3)
      const results = lines.map((line) => JSON.parse(line) as ResultItem)
      expect(results.map((r) => r.index).sort()).toEqual([1, 2, 3])
      expect(results.every((r) => r.status === "success")).toBe(true)
      expect(results.find((r) => r.index === 2)!.result).toBe("answer to: What is the population of Paris?")
      expect(run.stderr).toContain("3 questions: 3 ok, 0 failed")
    }).pipe(Effect.provide(FakeUpstream.layer)), timeout)

  it.live("--output json turns JSONL input into one {results} document; settings flags override the environment (--default-model)", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // One process for both flags: each is read on its own (settings.test.ts has the rest in process).
      const run = yield* runCli(
        ["ask", "-", "--output", "json", "--default-model", "anthropic/claude-test"],
        { env: { ...fakeEnvironment(upstream.url), DEFAULT_MODEL: "openai/gpt-4o-mini" }, stdin: jsonl([{ index: 7, question: "hello" }]) }
      )
      expect(run.code, run.stderr).toBe(0)
      const response = JSON.parse(run.stdout) as BatchResponse
      expect(response.results.map((r) => [r.index, r.model])).toEqual([[7, "anthropic/claude-test"]])
      expect(upstream.requests.map((r) => r.protocol)).toEqual(["anthropic"])
    }).pipe(Effect.provide(FakeUpstream.layer)), timeout)

  it.live("exits 1 when any question failed, still printing every result", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("doomed", { status: 400 })
      const run = yield* ask(["-"], jsonl([{ index: 1, question: "fine" }, { index: 2, question: "doomed" }]))
      expect(run.code).toBe(1)
      const results = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as ResultItem)
      expect(results.map((r) => [r.index, r.status]).sort()).toEqual([[1, "success"], [2, "error"]])
      expect(run.stderr).toMatch(/question 2 failed: /)
      expect(run.stderr).toContain("2 questions: 1 ok, 1 failed")
    }).pipe(Effect.provide(FakeUpstream.layer)), timeout)

  it.live("exits 2 with a clear message on bad input, without calling any provider", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // One case per stage that can reject input; the messages themselves are covered by input.test.ts.
      const cases: ReadonlyArray<readonly [args: ReadonlyArray<string>, stdin: string | undefined, message: RegExp]> = [
        [["-"], jsonl([{ index: 1, question: "ok" }, { index: 2, question: "x", temprature: 1 }]), /line 2: temprature: unknown field/],
        [["-"], jsonl([{ index: 1, question: "a" }, { index: 1, question: "b" }]), /line 2: index: index 1 is already used by line 1/],
        [[join(tmpdir(), "llm-batch-no-such-file.json")], undefined, /cannot read .*llm-batch-no-such-file\.json/],
        [["-", "--llm-concurrency", "0"], jsonl([{ index: 1, question: "q" }]), /invalid setting: LLM_CONCURRENCY/]
      ]
      const runs = yield* Effect.forEach(cases, ([args, stdin]) => ask(args, stdin), { concurrency: 2 })
      for (const [position, [args, , message]] of cases.entries()) {
        const run = runs[position]!
        expect(run.code, `${args.join(" ")}\n${run.stderr}`).toBe(2)
        expect(run.stderr).toMatch(message)
        expect(run.stdout).toBe("")
      }
      expect(upstream.requests).toEqual([])
    }).pipe(Effect.provide(FakeUpstream.layer)), 2 * timeout)

  it.live("a command line it cannot parse exits 2, with help on stderr and nothing on stdout", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["ask"])
      expect(run.code).toBe(2)
      expect(run.stdout).toBe("")
      expect(run.stderr).toContain("Missing required argument")
      expect(run.stderr).toContain("USAGE")
    }), timeout)

  it.live("--help shows usage, the exit codes and examples", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["ask", "--help"])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain("llm-batch ask [flags] <file>")
      expect(run.stdout).toContain("EXAMPLES")
      expect(run.stdout).toContain("2 on bad input")
    }), timeout)
})
