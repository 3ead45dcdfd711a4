/**
 * A job's estimate (docs/jobs.md, *Estimates*), made without calling any model: each question's
 * prompt is counted as it would be sent (system prompt, answer instructions, chat framing), its
 * completion ceiling is its max_tokens, and both are priced per lane with the service's prices.
 * The times come from `estimateEta.ts`. `POST /batches` uses the same lower bound to refuse a
 * max_cost_usd that cannot be met.
 */
import { Effect } from "effect"
import { checkBatch, type CheckedItem, type PlanLimits } from "../batch/plan.ts"
import { findReferences } from "../batch/placeholders.ts"
import type { AppConfigShape } from "../config/AppConfig.ts"
import type { JobRequest } from "../domain/Job.ts"
import type { BudgetCheck, CostRange, JobEstimate, LaneCosts } from "../domain/Estimate.ts"
import { InvalidBatchError, UnknownProviderError } from "../domain/Errors.ts"
import type { Lane } from "../domain/Lane.ts"
import { modelId, providers, type ResolvedModel, resolveModel } from "../domain/providers.ts"
import { addCost, type Prices, pricesWith } from "../gateway/prices.ts"
import { approximateCounter, type TokenCounter, tokenCounterFor } from "../gateway/tokens.ts"
import type { ChatMessage } from "../llm/types.ts"
import { typicalLatency } from "../observability/metrics.ts"
import { withInstructions } from "../validation/repair.ts"
import { forEachAnswerCheck } from "../validation/strategies.ts"
import { dependencyDepths, waveCount } from "./chunks.ts"
import { type ModelLoad, etaOf, latencyOf } from "./estimateEta.ts"
import { batchLaneCheck } from "./lane/check.ts"

/** One question, measured. */
export interface MeasuredQuestion {
  /** `provider/model` as the question names it (or the default model). */
  readonly model: string
  readonly resolved: ResolvedModel | undefined
  readonly promptMin: number
  readonly promptMax: number
  /** chars/4 of its prompt: what RATE_LIMITS reserves for it. */
  readonly promptChars: number
  readonly maxTokens: number
  readonly exact: boolean
  readonly tokenizer: string
  /** Sent with `api_base`: never in a provider batch. */
  readonly ownBase: boolean
}

/** The prompt as sent when every `{Q<n>_result}` answer is empty, and how many answer tokens could fill it. */
const promptBounds = (
  { item }: CheckedItem,
  instructions: string | undefined,
  maxTokensOf: ReadonlyMap<number, number>
): { readonly messages: ReadonlyArray<ChatMessage>; readonly filled: number } => {
  const references = findReferences(item.question)
  const question = references.reduce((text, reference) => text.split(reference.text).join(""), item.question)
  const messages: Array<ChatMessage> = []
  if (item.system) messages.push({ role: "system", content: item.system })
  messages.push({ role: "user", content: question })
  const filled = references.reduce((total, reference) => total + (maxTokensOf.get(reference.index) ?? 0), 0)
  return { messages: withInstructions(messages, instructions), filled }
}

const measureQuestion = (
  checked: CheckedItem,
  check: { readonly instructions: string | undefined; readonly nativeFormat: boolean },
  model: { readonly id: string; readonly resolved: ResolvedModel | undefined; readonly counter: TokenCounter },
  maxTokensOf: ReadonlyMap<number, number>
): MeasuredQuestion => {
  const { filled, messages } = promptBounds(checked, check.instructions, maxTokensOf)
  const promptMin = model.counter.countMessages(messages)
  return {
    model: model.id,
    resolved: model.resolved,
    promptMin,
    promptMax: promptMin + filled,
    promptChars: messages.reduce((chars, message) => chars + message.content.length, 0),
    maxTokens: checked.item.max_tokens,
    // The provider bills a native response format's schema in a way it does not publish.
    exact: model.counter.exact && !(check.nativeFormat && model.resolved !== undefined &&
      providers[model.resolved.provider].capabilities.structuredOutput),
    tokenizer: model.counter.tokenizer,
    ownBase: checked.item.api_base !== undefined && checked.item.api_base !== null
  }
}

const hasBatchApi = (question: MeasuredQuestion) =>
  question.resolved !== undefined && providers[question.resolved.provider].capabilities.batch

/** The lane a question's calls are billed on, for a job on `lane`. */
const billedLane = (lane: Lane, question: MeasuredQuestion): "sync" | "batch" =>
  lane === "sync" || !hasBatchApi(question) || (lane === "auto" && question.ownBase) ? "sync" : "batch"

const costRange = (prices: Prices, question: MeasuredQuestion, lane: "sync" | "batch") => {
  if (question.resolved === undefined) return { min: null, max: null }
  return {
    min: prices.callCost(question.resolved, { prompt_tokens: question.promptMin, completion_tokens: 0 }, lane),
    max: prices.callCost(question.resolved, { prompt_tokens: question.promptMax, completion_tokens: question.maxTokens }, lane)
  }
}

interface Sums {
  questions: number
  promptMin: number
  promptMax: number
  promptChars: number
  completionMax: number
  exact: boolean
  tokenizer: string
  resolved: ResolvedModel | undefined
  batchApi: boolean
  sync: { min: number | null; max: number | null }
  batch: { min: number | null; max: number | null }
}

const addRange = (total: { min: number | null; max: number | null }, more: { min: number | null; max: number | null }) => {
  total.min = addCost(total.min, more.min)
  total.max = addCost(total.max, more.max)
}

const asRange = (range: { min: number | null; max: number | null }): CostRange | null =>
  range.min === null || range.max === null ? null : { min: range.min, max: range.max }

/** Sums both lanes' cost ranges, or null for a lane once one of its parts is unknown. */
const totalCosts = (parts: ReadonlyArray<LaneCosts>): LaneCosts => {
  const sum = (pick: (costs: LaneCosts) => CostRange | null) =>
    parts.reduce<CostRange | null>((total, costs) => {
      const part = pick(costs)
      return total === null || part === null ? null : { min: total.min + part.min, max: total.max + part.max }
    }, { min: 0, max: 0 })
  return { sync: sum((costs) => costs.sync), batch: sum((costs) => costs.batch) }
}

export interface EstimateInputs {
  readonly lane: Lane
  readonly maxCostUsd: number | undefined
  readonly waves: number
  readonly prices: Prices
  readonly config: Pick<AppConfigShape, "llmConcurrency" | "batchConcurrency" | "rateLimits" | "jobs">
  /** The observed latency of a model, if any (`typicalLatency`). */
  readonly observed: (model: string) => { readonly seconds: number; readonly samples: number } | undefined
}

/** The estimate of measured questions (pure). */
const summarize = (measured: ReadonlyArray<MeasuredQuestion>, inputs: EstimateInputs): JobEstimate => {
  const byModel = new Map<string, Sums>()
  let lowerBound: number | null = 0
  for (const question of measured) {
    let sums = byModel.get(question.model)
    if (sums === undefined) {
      sums = {
        questions: 0,
        promptMin: 0,
        promptMax: 0,
        promptChars: 0,
        completionMax: 0,
        exact: true,
        tokenizer: question.tokenizer,
        resolved: question.resolved,
        batchApi: hasBatchApi(question),
        sync: { min: 0, max: 0 },
        batch: { min: 0, max: 0 }
      }
      byModel.set(question.model, sums)
    }
    sums.questions++
    sums.promptMin += question.promptMin
    sums.promptMax += question.promptMax
    sums.promptChars += question.promptChars
    sums.completionMax += question.maxTokens
    sums.exact &&= question.exact
    const sync = costRange(inputs.prices, question, "sync")
    const batch = costRange(inputs.prices, question, "batch")
    addRange(sums.sync, sync)
    addRange(sums.batch, batch)
    lowerBound = addCost(lowerBound, billedLane(inputs.lane, question) === "batch" ? batch.min : sync.min)
  }

  const entries = [...byModel.entries()]
  const models = entries.map(([model, sums]) => ({
    model,
    questions: sums.questions,
    prompt_tokens: { min: sums.promptMin, max: sums.promptMax },
    prompt_tokens_count: sums.exact ? "exact" as const : "approximate" as const,
    tokenizer: sums.tokenizer,
    completion_tokens_max: sums.completionMax,
    cost_usd: { sync: asRange(sums.sync), batch: asRange(sums.batch) },
    batch_api: sums.batchApi,
    latency: latencyOf(inputs.observed(model))
  }))
  const loads = entries.map(([model, sums]): ModelLoad => ({
    model,
    provider: sums.resolved?.provider,
    questions: sums.questions,
    promptTokens: { min: sums.promptMin, max: sums.promptMax },
    limiterPromptTokens: Math.ceil(sums.promptChars / 4),
    completionMax: sums.completionMax,
    latencySeconds: latencyOf(inputs.observed(model)).seconds,
    batchApi: sums.batchApi
  }))
  const budget: BudgetCheck | null = inputs.maxCostUsd === undefined || lowerBound === null ? null : {
    max_cost_usd: inputs.maxCostUsd,
    lower_bound_usd: lowerBound,
    exceeded: lowerBound > inputs.maxCostUsd
  }
  return {
    questions: measured.length,
    lane: inputs.lane,
    waves: inputs.waves,
    prompt_tokens: {
      min: models.reduce((total, model) => total + model.prompt_tokens.min, 0),
      max: models.reduce((total, model) => total + model.prompt_tokens.max, 0)
    },
    completion_tokens_max: models.reduce((total, model) => total + model.completion_tokens_max, 0),
    cost_usd: totalCosts(models.map((model) => model.cost_usd)),
    unpriced_models: models.filter((model) => model.cost_usd.sync === null).map((model) => model.model),
    eta: etaOf(loads, inputs.waves, inputs.config),
    budget,
    models,
    notes: [
      "Each question's first call only: repairs of answers that do not validate, fallbacks and retries cost more.",
      "Every question is assumed sent: answers from the cache cost nothing.",
      "Typical latencies are this service process's own; the provider batch turnaround is a stated range."
    ]
  }
}

/** Questions counted between two yields: 50,000 prompts take ~2 s to count. */
const yieldEvery = 2_000

const limitsOf = (config: AppConfigShape): PlanLimits => ({
  ...config,
  maxBatchSize: config.jobs.maxJobSize,
  maxBatchSizeSetting: "MAX_JOB_SIZE"
})

/** The estimate of a job already checked by `checkBatch` (`plan`, in request order). */
export const estimatePlan = Effect.fnUntraced(function*(
  request: JobRequest,
  plan: ReadonlyArray<CheckedItem>,
  config: AppConfigShape
): Effect.fn.Return<JobEstimate, InvalidBatchError> {
  const checks: Array<{ readonly instructions: string | undefined; readonly nativeFormat: boolean }> = []
  yield* forEachAnswerCheck(
    request.questions,
    (check) => checks.push({ instructions: check.instructions, nativeFormat: check.responseFormat !== undefined })
  )
  const maxTokensOf = new Map(plan.map(({ item }) => [item.index, item.max_tokens]))
  const models = new Map<string, { readonly id: string; readonly resolved: ResolvedModel | undefined; readonly counter: TokenCounter }>()
  const measured: Array<MeasuredQuestion> = []
  for (const [position, checked] of plan.entries()) {
    const name = checked.item.model ?? config.defaultModel
    let model = models.get(name)
    if (model === undefined) {
      const resolved = resolveModel(name)
      model = resolved instanceof UnknownProviderError
        ? { id: name, resolved: undefined, counter: approximateCounter }
        : { id: modelId(resolved), resolved, counter: yield* tokenCounterFor(resolved) }
      models.set(name, model)
    }
    measured.push(measureQuestion(checked, checks[position]!, model, maxTokensOf))
    if (position % yieldEvery === yieldEvery - 1) yield* Effect.yieldNow
  }
  return summarize(measured, {
    lane: request.lane,
    maxCostUsd: request.max_cost_usd,
    waves: waveCount(dependencyDepths(plan)),
    prices: yield* pricesWith(config.modelPrices),
    config,
    observed: typicalLatency
  })
})

/** A job checked as `POST /batches` and `POST /batches/estimate` both check it: its plan, in request order. */
export const checkJob = Effect.fnUntraced(function*(request: JobRequest, config: AppConfigShape) {
  const plan = yield* checkBatch(request, limitsOf(config))
  yield* batchLaneCheck(request.lane, plan, config.defaultModel)
  return plan
})

/** `POST /batches/estimate`: checked exactly as `POST /batches` checks a job, then estimated. */
export const estimateJob = Effect.fnUntraced(function*(request: JobRequest, config: AppConfigShape) {
  return yield* estimatePlan(request, yield* checkJob(request, config), config)
})

/** The submit's refusal of a max_cost_usd the job's prompts alone already exceed. */
export const budgetRefusal = (estimate: JobEstimate): InvalidBatchError | undefined => {
  const budget = estimate.budget
  if (budget === null || !budget.exceeded) return undefined
  return new InvalidBatchError({
    message: `max_cost_usd: the job's prompts alone cost at least $${Number(budget.lower_bound_usd.toPrecision(6))} on ` +
      `lane ${estimate.lane}, over its max_cost_usd of $${budget.max_cost_usd}, so it would stop before its ` +
      "answers came back: raise max_cost_usd or send fewer or shorter questions (POST /batches/estimate shows the estimate)"
  })
}
