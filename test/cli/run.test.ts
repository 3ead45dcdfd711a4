/**
 * `llm-batch run` as a user runs it: a child process, client of the real server (its jobs in a
 * temporary DATA_DIR) over the fake upstream. A dataset in (CSV, JSONL, Parquet), its rows joined
 * back to their results in input order, bad rows named by line, an interrupted run resumed.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { parse } from "csv-parse/sync"
import { Effect } from "effect"
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet"
import { parquetWriteFile } from "hyparquet-writer"
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { compileCacheEnv } from "../support/childEnv.ts"
import { cliPath, repoRoot, runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const scratch = mkdtempSync(join(tmpdir(), "llm-batch-cli-run-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const path = (name: string) => join(scratch, name)
const tempFile = (name: string, content: string) => {
  writeFileSync(path(name), content)
  return path(name)
}

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* runCli(args, { env: { LLM_BATCH_URL: server.url } })
  })

const labelSchema = JSON.stringify({
  type: "object",
  properties: { label: { type: "string" }, score: { type: "number" } },
  required: ["label", "score"]
})

const timeout = 120_000

describe("llm-batch run", () => {
  it.live("CSV with quoted commas and line breaks: a structured answer's fields as columns, in input order; a short row named by its line", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("Great", { text: "{\"label\": \"positive\", \"score\": 0.9}" })
      upstream.always("Broke", { text: "{\"label\": \"negative\", \"score\": 0.1}", delayMs: 300 })
      upstream.always("Fine", { text: "{\"label\": \"neutral\", \"score\": 0.5}" })
      const input = tempFile(
        "reviews.csv",
        "id,text,stars\n" +
          "r1,\"Great product, would buy again\",5\n" +
          "r2,\"Broke after\ntwo days, \"\"cheap\"\"\",1\n" +
          "r3\n" +
          "r4,\"Fine, I guess\",3\n"
      )
      const out = path("reviews.out.csv")
      const run = yield* cli([
        "run", input, "--template", "Classify this review: {{text}}", "--id-column", "id",
        "--response-schema", labelSchema, "--lane", "sync", "--max-cost-usd", "5", "--out", out
      ])
      expect(run.code, run.stderr).toBe(1)
      expect(run.stderr).toContain("1 row not sent:\n  line 5: no value for column 'text'\n")
      expect(run.stderr).toContain("wrote 4 rows")
      expect(upstream.callsFor("two days")[0]!.prompt).toBe("Classify this review: Broke after\ntwo days, \"cheap\"")
      const rows: Array<Record<string, string>> = parse(readFileSync(out), { columns: true })
      expect(Object.keys(rows[0]!)).toEqual([
        "id", "text", "stars", "status", "answer_label", "answer_score", "error_message", "model", "cost_usd"
      ])
      expect(rows.map((row) => [row.id, row.text, row.status, row.answer_label, row.answer_score])).toEqual([
        ["r1", "Great product, would buy again", "success", "positive", "0.9"],
        ["r2", "Broke after\ntwo days, \"cheap\"", "success", "negative", "0.1"],
        ["r3", "", "error", "", ""],
        ["r4", "Fine, I guess", "success", "neutral", "0.5"]
      ])
      expect(rows[2]!.error_message).toBe("line 5: no value for column 'text'")
      expect(rows[0]!.model).toMatch(/\//)
      expect(JSON.parse(readFileSync(`${out}.job`, "utf8")).job_id).toMatch(/^batch_/)
    }).pipe(Effect.provide(TestServer.layer())), timeout)

  it.live("JSONL in, Parquet out: every row in input order, a line that is not JSON named and kept", () =>
    Effect.gen(function*() {
      const input = tempFile(
        "notes.jsonl",
        [
          JSON.stringify({ n: 1, text: "alpha" }),
          "{oops",
          JSON.stringify({ n: 3, text: "gamma", extra: true }),
          JSON.stringify({ n: 4, note: "no text" })
        ].join("\n") + "\n"
      )
      const out = path("notes.parquet")
      const run = yield* cli(["run", input, "--template", "Summarize: {{text}}", "--out", out])
      expect(run.code, run.stderr).toBe(1)
      expect(run.stderr).toContain("line 2: not valid JSON")
      expect(run.stderr).toContain("line 4: no value for column 'text'")
      const rows = yield* Effect.promise(async () => parquetReadObjects({ file: await asyncBufferFromFile(out) }))
      expect(rows.map((row) => [row.n, row.text, row.status, row.answer])).toEqual([
        [1, "alpha", "success", "answer to: Summarize: alpha"],
        [null, null, "error", null],
        [3, "gamma", "success", "answer to: Summarize: gamma"],
        [4, null, "error", null]
      ])
      expect(rows[1]!.error_message).toMatch(/^line 2: not valid JSON/)
    }).pipe(Effect.provide(TestServer.layer())), timeout)

  it.live("Parquet in, JSONL out, with the row number as meta.id", () =>
    Effect.gen(function*() {
      const input = path("items.parquet")
      parquetWriteFile({
        filename: input,
        columnData: [
          { name: "sku", data: ["a-1", "b-2", "c-3"], type: "STRING" },
          { name: "title", data: ["Red mug", "Blue cup", "Tea pot"], type: "STRING" }
        ]
      })
      const out = path("items.jsonl")
      const run = yield* cli(["run", input, "--template", "Category of {{title}}?", "--out", out])
      expect(run.code, run.stderr).toBe(0)
      const rows = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line))
      expect(rows.map((row) => [row.sku, row.status, row.answer])).toEqual([
        ["a-1", "success", "answer to: Category of Red mug?"],
        ["b-2", "success", "answer to: Category of Blue cup?"],
        ["c-3", "success", "answer to: Category of Tea pot?"]
      ])
      const server = yield* TestServer
      const jobs = (yield* server.get("/batches")).body as { data: ReadonlyArray<{ id: string }> }
      const results = (yield* server.get(`/batches/${jobs.data[0]!.id}/results`)).text.trim().split("\n")
        .map((line) => JSON.parse(line) as { index: number; meta: unknown })
        .toSorted((a, b) => a.index - b.index)
      expect(results.map((result) => result.meta)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    }).pipe(Effect.provide(TestServer.layer())), timeout)

  it.live("a file that cannot be read, a CSV that breaks off, or an OUT.job whose job is gone is bad input (exit 2); no job is made", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const broken = tempFile("broken.csv", "id,text\n1,fine\n2,\"never closed\n3,more\n")
      // An OUT.job naming a job the service no longer has (deleted after JOB_RETENTION_HOURS).
      const fine = tempFile("fine.csv", "text\nhello\n")
      tempFile("gone.out.csv.job", JSON.stringify({ job_id: "batch_gone", input: fine }))
      const [missing, unclosed, gone] = yield* Effect.all([
        cli(["run", path("nowhere.csv"), "--template", "{{text}}", "--out", path("nowhere.out.csv")]),
        cli(["run", broken, "--template", "{{text}}", "--out", path("broken.out.csv")]),
        cli(["run", fine, "--template", "{{text}}", "--out", path("gone.out.csv")])
      ], { concurrency: "unbounded" })
      expect(gone.code, gone.stderr).toBe(2)
      expect(gone.stderr).toContain("gone.out.csv.job names it: delete that file to start a new job")
      expect(missing.code, missing.stderr).toBe(2)
      expect(missing.stderr).toContain("cannot read")
      expect(unclosed.code, unclosed.stderr).toBe(2)
      expect(unclosed.stderr).toContain(`reading ${broken}`)
      expect(existsSync(path("broken.out.csv.job"))).toBe(false)
      expect(((yield* server.get("/batches")).body as { data: ReadonlyArray<unknown> }).data).toEqual([])
    }).pipe(Effect.provide(TestServer.layer())), timeout)

  it.live("an interrupted run resumes its job from OUT.job: nothing is sent twice", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 1_500 })
      const input = tempFile("slow.csv", "text\n" + Array.from({ length: 6 }, (_, i) => `slow ${i + 1}\n`).join(""))
      const out = path("slow.out.csv")
      const args = ["run", input, "--template", "{{text}}", "--out", out]
      // Stopped (SIGINT) once the job is submitted: the job goes on in the service.
      yield* Effect.promise(() =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [cliPath, ...args], {
            cwd: repoRoot,
            env: { PATH: process.env.PATH ?? "", ...compileCacheEnv(), LLM_BATCH_URL: server.url },
            stdio: "ignore"
          })
          const poll = setInterval(() => {
            if (existsSync(`${out}.job`)) child.kill("SIGINT")
          }, 50)
          child.on("error", reject)
          child.on("close", () => (clearInterval(poll), resolve()))
        })
      )
      expect(existsSync(out)).toBe(false)
      const again = yield* cli(args)
      expect(again.code, again.stderr).toBe(0)
      expect(again.stderr).toMatch(/^resuming batch_\w+/)
      const rows: Array<Record<string, string>> = parse(readFileSync(out), { columns: true })
      expect(rows.map((row) => [row.text, row.status])).toEqual(Array.from({ length: 6 }, (_, i) => [`slow ${i + 1}`, "success"]))
      expect(upstream.requests).toHaveLength(6)
      const jobs = yield* server.get("/batches")
      expect((jobs.body as { data: ReadonlyArray<unknown> }).data).toHaveLength(1)
    }).pipe(Effect.provide(TestServer.layer())), timeout)
})
