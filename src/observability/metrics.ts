/**
 * The service's metrics (docs/observability.md), in effect's default `MetricRegistry`, which
 * GET /metrics renders in Prometheus text format. Recording is synchronous and allocates nothing
 * once a label set has been seen: it runs on every request, question and upstream attempt.
 */
import { Context, Effect, Layer, Metric } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import type { Usage } from "../domain/Batch.ts"
import type { LlmError } from "../domain/Errors.ts"
import { modelId, type ResolvedModel } from "../domain/providers.ts"

/** The context recorders and /metrics read: no MetricRegistry in it, so effect's process-wide default. */
export const registryContext: Context.Context<never> = Context.empty()

/**
 * Model names come from callers' requests: only models of a known provider get a label of their
 * own, and only the first `maxModelLabels` of them; any later one is counted as `other`.
 */
const maxModelLabels = 100
const modelLabels = new Set<string>()

export const modelLabel = (model: ResolvedModel | string): string => {
  const id = typeof model === "string" ? model : modelId(model)
  if (modelLabels.has(id)) return id
  if (modelLabels.size >= maxModelLabels) return "other"
  modelLabels.add(id)
  return id
}

/** METRICS=false: nothing is recorded (what a run without metrics costs is then measurable). */
let recording = true

/** Applies METRICS for as long as the service runs. */
export const MetricsSwitchLayer = Layer.effectDiscard(Effect.gen(function*() {
  const config = yield* AppConfig
  const before = recording
  yield* Effect.acquireRelease(
    Effect.sync(() => {
      recording = config.observability.metrics
    }),
    () => Effect.sync(() => (recording = before))
  )
}))

/** One metric per label set, made once: a series' key is computed when its metric is created. */
const family = <M>(make: (attributes: Record<string, string>) => M) => {
  const series = new Map<string, M>()
  return (key: string, attributes: () => Record<string, string>): M => {
    let found = series.get(key)
    if (found === undefined) {
      found = make(attributes())
      series.set(key, found)
    }
    return found
  }
}

const counter = (name: string, description: string) =>
  family((attributes) => Metric.counter(name, { description, attributes, incremental: true }))

const httpRequests = counter("llm_batch_http_requests_total", "HTTP requests answered, by route, method and status")
const questions = counter("llm_batch_questions_total", "Questions finished, by status (success or error)")
const upstreamCalls = counter(
  "llm_batch_upstream_calls_total",
  "Upstream attempts (retries included), by provider, model, status (the HTTP status, `network` or " +
    "`interrupted`) and reason (`ok`, `interrupted` or the failure's reason: `rate_limited`, `context_length`, …)"
)
const upstreamLatency = family((attributes) =>
  Metric.histogram("llm_batch_upstream_latency_seconds", {
    description: "Time of one upstream attempt, by provider and model",
    attributes,
    boundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
  })
)
const tokens = counter("llm_batch_tokens_total", "Tokens the upstream reported, by model and type (input or output)")
const cost = counter("llm_batch_cost_usd_total", "USD spent on upstream calls with a known price, by model")
const cacheLookups = counter(
  "llm_batch_cache_lookups_total",
  "Cache lookups by result: hit (stored answer), shared (joined an identical call in flight), miss (called upstream)"
)
const jobs = counter("llm_batch_jobs_total", "Batch jobs that entered each status on this replica")
const providerBatches = counter(
  "llm_batch_provider_batches_total",
  "Provider batches (the batch lane) that entered each state on this replica, by provider and state"
)
const rateLimitWaits = counter("llm_batch_rate_limit_waits_total", "Waits for RATE_LIMITS before an attempt, by model and reason")
const rateLimitWaitSeconds = counter(
  "llm_batch_rate_limit_wait_seconds_total",
  "Time spent waiting for RATE_LIMITS, by model and reason"
)

const add = (metric: Metric.Metric<number, unknown>, value: number) => metric.updateUnsafe(value, registryContext)

export const recordRequest = (route: string, method: string, status: number): void => {
  if (!recording) return
  add(httpRequests(`${route} ${method} ${status}`, () => ({ route, method, status: String(status) })), 1)
}

export const recordQuestion = (status: "success" | "error"): void => {
  if (!recording) return
  add(questions(status, () => ({ status })), 1)
}

/** How an attempt ended, as its metric labels: the HTTP status (or why there is none) and the reason. */
export interface AttemptLabels {
  readonly status: string
  readonly reason: string
}

export const answeredLabels: AttemptLabels = { status: "200", reason: "ok" }
export const interruptedLabels: AttemptLabels = { status: "interrupted", reason: "interrupted" }

export const failedLabels = (error: LlmError): AttemptLabels =>
  error._tag === "UpstreamError"
    ? { status: error.status === undefined ? "network" : String(error.status), reason: error.reason }
    : { status: error._tag, reason: error._tag }

/** Answered attempts' times by model label (estimates read the typical one), kept with METRICS=false too. */
const answeredTimes = new Map<string, { count: number; seconds: number }>()

/**
 * The mean time of the attempts of `model` that answered in this process (429s and timeouts say
 * nothing about how long an answer takes), and how many there were; undefined before the first.
 */
export const typicalLatency = (model: string): { readonly seconds: number; readonly samples: number } | undefined => {
  const times = answeredTimes.get(model)
  return times === undefined ? undefined : { seconds: times.seconds / times.count, samples: times.count }
}

export const recordAttempt = (
  model: ResolvedModel,
  { reason, status }: AttemptLabels,
  seconds: number,
  usage: Usage | null
): void => {
  const label = modelLabel(model)
  if (reason === "ok" && label !== "other") {
    const times = answeredTimes.get(label)
    if (times === undefined) answeredTimes.set(label, { count: 1, seconds })
    else {
      times.count++
      times.seconds += seconds
    }
  }
  if (!recording) return
  const provider = model.provider
  add(upstreamCalls(`${label} ${status} ${reason}`, () => ({ provider, model: label, status, reason })), 1)
  add(upstreamLatency(label, () => ({ provider, model: label })), seconds)
  if (usage !== null) {
    add(tokens(`${label} input`, () => ({ model: label, type: "input" })), usage.prompt_tokens)
    add(tokens(`${label} output`, () => ({ model: label, type: "output" })), usage.completion_tokens)
  }
}

export const recordCost = (model: ResolvedModel, usd: number | null): void => {
  if (!recording || usd === null) return
  const label = modelLabel(model)
  add(cost(label, () => ({ model: label })), usd)
}

export const recordCacheLookup = (result: "hit" | "shared" | "miss"): void => {
  if (!recording) return
  add(cacheLookups(result, () => ({ result })), 1)
}

export const recordJob = (status: string): void => {
  if (!recording) return
  add(jobs(status, () => ({ status })), 1)
}

/**
 * A provider batch entered `state` (a `ProviderBatchStatus`). The job store calls it on every
 * change it writes, once per change however many replicas race to write it.
 */
export const recordProviderBatchState = (provider: string, state: string): void => {
  if (!recording) return
  add(providerBatches(`${provider} ${state}`, () => ({ provider, state })), 1)
}

export type RateLimitReason = "requests" | "tokens" | "cooldown"

export const recordRateLimitWait = (model: string, reason: RateLimitReason, seconds: number): void => {
  if (!recording) return
  const label = modelLabel(model)
  const key = `${label} ${reason}`
  add(rateLimitWaits(key, () => ({ model: label, reason })), 1)
  add(rateLimitWaitSeconds(key, () => ({ model: label, reason })), seconds)
}
