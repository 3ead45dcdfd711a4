/** Words for an estimate that the CLI's summary and the console's rows both use. */
import type { EtaRange, JobEstimate } from "./Estimate.ts"

/** 45 s, 12 min, 3.5 h. */
export const duration = (seconds: number): string =>
  seconds < 90 ? `${Math.round(seconds)} s` : seconds < 90 * 60 ? `${Math.round(seconds / 60)} min` :
  `${Number((seconds / 3600).toFixed(1))} h`

export const etaText = (range: EtaRange): string =>
  range.min_seconds === range.max_seconds
    ? `about ${duration(range.min_seconds)}`
    : `${duration(range.min_seconds)} to ${duration(range.max_seconds)}`

/** The models whose prompt tokens were counted this way. */
export const modelsCounted = (estimate: JobEstimate, kind: "exact" | "approximate"): ReadonlyArray<string> =>
  estimate.models.filter((model) => model.prompt_tokens_count === kind).map((model) => model.model)
