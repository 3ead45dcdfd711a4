/**
 * Progress of `llm-batch ask` on stderr: a bar redrawn in place when stderr is a terminal, one
 * plain line per finished question otherwise (logs, CI, pipes). Failures are always printed as
 * lines so they stay visible after the bar is gone. stdout is never touched.
 */
import { Effect } from "effect"
import type { ResultItem } from "../domain/Batch.ts"

export interface Progress {
  readonly start: Effect.Effect<void>
  readonly onResult: (result: ResultItem) => Effect.Effect<void>
  /** Clears the bar and prints the summary. */
  readonly finish: Effect.Effect<void>
}

const barWidth = 24
const clearLine = "\r\x1b[2K"

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const describe = (result: ResultItem): string =>
  result.status === "success"
    ? `question ${result.index} ok (${result.model}${result.cached ? ", cached" : ""}, ${Math.round(result.latency_ms)} ms)`
    : `question ${result.index} failed: ${result.error_message ?? "unknown error"}`

export const makeProgress = (options: {
  readonly total: number
  readonly tty: boolean
  /** Writes text as is (no newline added); one call per event so concurrent events do not interleave. */
  readonly write: (text: string) => Effect.Effect<void>
}): Progress => {
  const { total, tty, write } = options
  const started = performance.now()
  let ok = 0
  let failed = 0

  const bar = () => {
    const done = ok + failed
    const filled = total === 0 ? barWidth : Math.round((done / total) * barWidth)
    return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${done}/${total}  ok ${ok}  failed ${failed}  ` +
      seconds(performance.now() - started)
  }

  const summary = () =>
    `${total} question${total === 1 ? "" : "s"}: ${ok} ok, ${failed} failed in ${seconds(performance.now() - started)}\n`

  return {
    start: tty ? write(bar()) : Effect.void,
    onResult: (result) =>
      Effect.suspend(() => {
        if (result.status === "success") ok += 1
        else failed += 1
        if (!tty) return write(`[${ok + failed}/${total}] ${describe(result)}\n`)
        const line = result.status === "error" ? `${clearLine}${describe(result)}\n` : clearLine
        return write(line + bar())
      }),
    finish: Effect.suspend(() => write(tty ? `${clearLine}${summary()}` : summary()))
  }
}
