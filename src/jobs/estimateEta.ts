/**
 * How long a job would take on each lane (docs/jobs.md, *Estimates*), from its load per model, its
 * dependency waves and the service's settings. Pure. Sync: the slowest of the job's chain (waves ×
 * a call's typical latency), its concurrency (LLM_CONCURRENCY, BATCH_CONCURRENCY) and each
 * RATE_LIMITS budget it shares. Batch: each wave is one round of provider batches.
 */
import { Glob } from "effect"
import type { AppConfigShape } from "../config/AppConfig.ts"
import type { EtaRange, Latency, TokenRange } from "../domain/Estimate.ts"
import type { ProviderName } from "../domain/providers.ts"

/** A call's time when the service has not seen this model answer yet. */
export const defaultLatencySeconds = 5

/** Answered calls the observed mean needs before it is used instead of the default. */
const minimumSamples = 3

export const latencyOf = (observed: { readonly seconds: number; readonly samples: number } | undefined): Latency =>
  observed === undefined || observed.samples < minimumSamples
    ? { seconds: defaultLatencySeconds, source: "default", samples: 0 }
    : { seconds: observed.seconds, source: "observed", samples: observed.samples }

/**
 * How long one provider batch takes to end, in seconds, as the providers state it: OpenAI's
 * completion window is 24 h (small batches often end in minutes); Anthropic says most batches end
 * within an hour (its limit is also 24 h).
 */
const batchTurnaround: Readonly<Partial<Record<ProviderName, { readonly min: number; readonly max: number }>>> = {
  openai: { min: 60, max: 24 * 3600 },
  anthropic: { min: 60, max: 3600 }
}

/** What one model adds to a job. */
export interface ModelLoad {
  readonly model: string
  readonly provider: ProviderName | undefined
  readonly questions: number
  readonly promptTokens: TokenRange
  /** chars/4: what RATE_LIMITS reserves for the prompts. */
  readonly limiterPromptTokens: number
  readonly completionMax: number
  readonly latencySeconds: number
  readonly batchApi: boolean
}

type Settings = Pick<AppConfigShape, "llmConcurrency" | "batchConcurrency" | "rateLimits" | "jobs">

interface Bound {
  readonly seconds: number
  readonly basis: string
}

const slowest = (bounds: ReadonlyArray<Bound>): Bound =>
  bounds.reduce((slow, bound) => bound.seconds > slow.seconds ? bound : slow)

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** The sync lane: the least time (prompts only against tpm) and the most (max_tokens spent too). */
const syncEta = (loads: ReadonlyArray<ModelLoad>, waves: number, config: Settings): EtaRange => {
  const slots = Math.min(config.llmConcurrency, config.batchConcurrency)
  const latency = Math.max(0, ...loads.map((load) => load.latencySeconds))
  const common: Array<Bound> = [
    { seconds: waves * latency, basis: `${plural(waves, "wave")} × ${latency} s a call` },
    {
      seconds: loads.reduce((total, load) => total + load.questions * load.latencySeconds, 0) / slots,
      basis: `${slots} calls at once (LLM_CONCURRENCY, BATCH_CONCURRENCY)`
    }
  ]
  const least: Array<Bound> = [...common]
  const most: Array<Bound> = [...common]
  for (const rule of config.rateLimits) {
    const glob = Glob.make(rule.model, { dot: true })
    const matching = loads.filter((load) => Glob.match(glob, load.model))
    if (matching.length === 0) continue
    const requests = matching.reduce((total, load) => total + load.questions, 0)
    if (rule.rpm !== undefined) {
      const bound = { seconds: (requests / rule.rpm) * 60, basis: `RATE_LIMITS rpm ${rule.rpm} of ${rule.model}` }
      least.push(bound)
      most.push(bound)
    }
    if (rule.tpm !== undefined) {
      const prompts = matching.reduce((total, load) => total + load.promptTokens.min, 0)
      const reserved = matching.reduce((total, load) => total + load.limiterPromptTokens + load.completionMax, 0)
      const basis = `RATE_LIMITS tpm ${rule.tpm} of ${rule.model}`
      least.push({ seconds: (prompts / rule.tpm) * 60, basis })
      most.push({ seconds: (reserved / rule.tpm) * 60, basis })
    }
  }
  const low = slowest(least)
  const high = slowest(most)
  return {
    min_seconds: low.seconds,
    max_seconds: high.seconds,
    basis: low.basis === high.basis ? low.basis : `${low.basis} (at least), ${high.basis} (at most)`
  }
}

/** The batch lane: each wave waits for its provider batches; null when a model has no batch API. */
const batchEta = (loads: ReadonlyArray<ModelLoad>, waves: number, config: Settings): EtaRange | null => {
  const turnarounds = loads.map((load) =>
    load.batchApi && load.provider !== undefined ? batchTurnaround[load.provider] : undefined
  )
  if (turnarounds.some((turnaround) => turnaround === undefined)) return null
  const known = turnarounds.filter((turnaround) => turnaround !== undefined)
  const min = Math.max(...known.map((turnaround) => turnaround.min))
  const max = Math.max(...known.map((turnaround) => turnaround.max))
  const { collectMs, pollIntervalMs } = config.jobs.batchLane
  return {
    min_seconds: waves * (min + collectMs / 1000),
    max_seconds: waves * (max + (collectMs + pollIntervalMs) / 1000),
    basis: `${plural(waves, "wave")} × the providers' stated turnaround of a batch ` +
      `(${min / 60} min to ${max / 3600} h), plus BATCH_COLLECT_MS and BATCH_POLL_INTERVAL_MS`
  }
}

export const etaOf = (loads: ReadonlyArray<ModelLoad>, waves: number, config: Settings) => ({
  sync: syncEta(loads, waves, config),
  batch: batchEta(loads, waves, config)
})
