/**
 * Progress on stderr (`llm-batch ask`, `submit --wait`, `run`): a bar redrawn in place when stderr
 * is a terminal — done/total, failed, rate, ETA and dollars spent — and plain lines otherwise (logs,
 * CI, pipes): one per finished question, or with `periodicMs` one status line at most that often
 * (a dataset's 100,000 rows). Failures are printed as lines on a terminal so they stay visible
 * after the bar is gone. stdout is never touched.
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
const redrawMs = 100
const clearLine = "\r\x1b[2K"

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const duration = (s: number) =>
  s < 60 ? `${Math.ceil(s)} s` : s < 3600 ? `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s` : `${(s / 3600).toFixed(1)} h`

/** Dollars: a batch of small questions spends fractions of a cent, shown to the millionth. */
const dollars = (usd: number) => `$${usd === 0 ? "0" : usd < 0.01 ? usd.toFixed(6) : usd.toFixed(4)}`

const describe = (result: ResultItem): string =>
  result.status === "success"
    ? `question ${result.index} ok (${result.model}${result.cached ? ", cached" : ""}, ${Math.round(result.latency_ms)} ms)`
    : `question ${result.index} failed: ${result.error_message ?? "unknown error"}`

export const makeProgress = (options: {
  readonly total: number
  readonly tty: boolean
  /** Writes text as is (no newline added); one call per event so concurrent events do not interleave. */
  readonly write: (text: string) => Effect.Effect<void>
  /** Not on a terminal: a status line at most this often instead of a line per question. */
  readonly periodicMs?: number | undefined
  /** What to call a question in the summary (`row` for `run`). */
  readonly noun?: string | undefined
}): Progress => {
  const { periodicMs, total, tty, write } = options
  const noun = options.noun ?? "question"
  const started = performance.now()
  let ok = 0
  let failed = 0
  let spent = 0
  let unpriced = false
  let lastLine = started
  let lastDraw = Number.NEGATIVE_INFINITY

  /** Rate, ETA and dollars spent so far. */
  const pace = () => {
    const done = ok + failed
    const elapsed = (performance.now() - started) / 1000
    const rate = elapsed > 0 ? done / elapsed : 0
    const eta = rate > 0 && done < total ? `  ETA ${duration((total - done) / rate)}` : ""
    return `  ${rate.toFixed(1)}/s${eta}  ${dollars(spent)}${unpriced ? "+" : ""}`
  }

  const bar = () => {
    const done = ok + failed
    const filled = total === 0 ? barWidth : Math.round((done / total) * barWidth)
    return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${done}/${total}  ok ${ok}  failed ${failed}  ` +
      seconds(performance.now() - started) + pace()
  }

  const status = () => `${ok + failed}/${total} done, ${failed} failed${pace()}\n`

  const summary = () =>
    `${total} ${noun}${total === 1 ? "" : "s"}: ${ok} ok, ${failed} failed in ${seconds(performance.now() - started)}` +
    ` (${dollars(spent)}${unpriced ? " and some of unknown cost" : ""})\n`

  const plainLine = (result: ResultItem) => {
    if (periodicMs === undefined) return write(`[${ok + failed}/${total}] ${describe(result)}\n`)
    const now = performance.now()
    if (now - lastLine < periodicMs && ok + failed < total) return Effect.void
    lastLine = now
    return write(status())
  }

  return {
    start: tty ? write(bar()) : Effect.void,
    onResult: (result) =>
      Effect.suspend(() => {
        if (result.status === "success") ok += 1
        else failed += 1
        if (result.cost_usd === null) unpriced = true
        else spent += result.cost_usd
        if (!tty) return plainLine(result)
        // 100,000 rows would be 100,000 redraws: a success redraws at most every `redrawMs`.
        const now = performance.now()
        if (result.status === "success" && now - lastDraw < redrawMs && ok + failed < total) return Effect.void
        lastDraw = now
        const line = result.status === "error" ? `${clearLine}${describe(result)}\n` : clearLine
        return write(line + bar())
      }),
    finish: Effect.suspend(() => write(tty ? `${clearLine}${summary()}` : summary()))
  }
}
