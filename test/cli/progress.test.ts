/**
 * The CLI's progress on stderr: on a terminal a bar with done/total, failed, rate, ETA and dollars
 * spent; elsewhere a plain line per question, or periodic status lines (`llm-batch run`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ResultItem } from "../../src/domain/Batch.ts"
import { makeProgress } from "../../src/cli/progress.ts"
import { successResult } from "../support/results.ts"

const result = (index: number, status: "success" | "error", cost: number | null): ResultItem =>
  successResult(index, {
    status,
    result: status === "success" ? "ok" : null,
    error_message: status === "success" ? null : "openai answered HTTP 400",
    cost_usd: cost,
    finish_reason: null
  })

const record = (options: { readonly tty: boolean; readonly periodicMs?: number }) => {
  const written: Array<string> = []
  const progress = makeProgress({ total: 3, ...options, noun: "row", write: (text) => Effect.sync(() => void written.push(text)) })
  return { progress, written }
}

describe("CLI progress", () => {
  it.effect("on a terminal, redraws a bar with done/total, failed, rate, ETA and dollars spent", () =>
    Effect.gen(function*() {
      const { progress, written } = record({ tty: true })
      yield* progress.start
      yield* progress.onResult(result(1, "success", 0.0015))
      yield* progress.onResult(result(2, "error", 0))
      const bar = written.at(-1)!.split("\n").at(-1)!
      expect(bar).toMatch(/^\[#{16}-{8}\] 2\/3 {2}ok 1 {2}failed 1 {2}\d+\.\d s {2}\d+\.\d\/s {2}(ETA \d+ s {2})?\$0\.001500$/)
      // A failure stays visible as its own line.
      expect(written.join("")).toContain("question 2 failed: openai answered HTTP 400\n")
      // The last result always redraws.
      yield* progress.onResult(result(3, "success", null))
      expect(written.at(-1)).toContain("3/3")
      yield* progress.finish
      expect(written.at(-1)).toMatch(/^\r\x1b\[2K3 rows: 2 ok, 1 failed in \d+\.\d s \(\$0\.001500 and some of unknown cost\)\n$/)
    }))

  it.effect("elsewhere, with periodicMs, prints status lines instead of a line per question, and the last one always", () =>
    Effect.gen(function*() {
      const { progress, written } = record({ tty: false, periodicMs: 3_600_000 })
      yield* progress.start
      for (const [i, status] of (["success", "error", "success"] as const).entries()) {
        yield* progress.onResult(result(i + 1, status, 0.001))
      }
      yield* progress.finish
      expect(written).toHaveLength(2)
      expect(written[0]).toMatch(/^3\/3 done, 1 failed {2}\d+\.\d\/s {2}\$0\.003000\n$/)
      expect(written[1]).toMatch(/^3 rows: 2 ok, 1 failed in/)
    }))

  it.effect("elsewhere, without periodicMs, prints a line per question", () =>
    Effect.gen(function*() {
      const { progress, written } = record({ tty: false })
      yield* progress.onResult(result(1, "success", 0))
      expect(written).toEqual(["[1/3] question 1 ok (openai/gpt-4o-mini, 5 ms)\n"])
    }))
})
