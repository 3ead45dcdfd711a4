/**
 * A `.env` in the working directory configures `llm-batch` (serve, ask, mcp): the first hour needs
 * no `export`s. The real environment always wins over the file.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ResultItem } from "../../src/domain/Batch.ts"
import { runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"

const scratch = mkdtempSync(join(tmpdir(), "llm-batch-dotenv-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe("a .env in the working directory", () => {
  it.live("configures `llm-batch ask`, and a variable set in the environment wins over the file", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const dotenv = [
        `OPENAI_BASE_URL=${upstream.url}/openai/v1`,
        "OPENAI_API_KEY=key-from-dotenv",
        "DEFAULT_MODEL=openai/from-dotenv",
        ""
      ].join("\n")
      writeFileSync(join(scratch, ".env"), dotenv)
      const run = yield* runCli(["ask", "-"], {
        cwd: scratch,
        env: { DEFAULT_MODEL: "openai/from-environment" },
        stdin: JSON.stringify({ index: 1, question: "configured by .env?" })
      })
      expect(run.code, run.stderr).toBe(0)
      const [result] = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as ResultItem)
      expect(result).toMatchObject({ status: "success", model: "openai/from-environment" })
      expect(upstream.requests.map((r) => r.headers.authorization)).toEqual(["Bearer key-from-dotenv"])
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)
})
