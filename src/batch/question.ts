/**
 * One question of a run: answered by the first model of its chain that does (the next is tried
 * when one fails in a way another model may not, see gateway/fallbacks.ts), unless the run's
 * budget is spent; what every call spent is in the result.
 */
import { Effect } from "effect"
import type { AppConfig } from "../config/AppConfig.ts"
import type { QuestionItem, ResultItem } from "../domain/Batch.ts"
import { type LlmError, UnknownProviderError } from "../domain/Errors.ts"
import { modelId, type ResolvedModel, resolveModel } from "../domain/providers.ts"
import { fallsBack } from "../gateway/fallbacks.ts"
import type { LlmClient } from "../llm/LlmClient.ts"
import type { ChatMessage, CompletionRequest } from "../llm/types.ts"
import type { AnswerCheck } from "../validation/strategies.ts"
import { type Answer, answerQuestion } from "./answer.ts"
import { type Budget, overBudget, type Tally } from "./budget.ts"
import { substitute } from "./placeholders.ts"

/** What one question is run with. */
export interface QuestionRun {
  readonly item: QuestionItem
  /** The models to ask in turn: the question's own first, then its fallbacks. */
  readonly chain: ReadonlyArray<string>
  /** The results of the items it depends on, by index, for its placeholders. */
  readonly dependencyResults: ReadonlyMap<number, unknown>
  readonly maxPromptChars: number
  readonly check: AnswerCheck
  readonly maxRepairs: number
  /** The question's, kept by the caller: an interrupted question still reports what it spent. */
  readonly tally: Tally
  readonly budget: Budget | undefined
}

export const runQuestion = Effect.fnUntraced(function*(
  { budget, chain, check, dependencyResults, item, maxPromptChars, maxRepairs, tally }: QuestionRun
): Effect.fn.Return<ResultItem, never, AppConfig | LlmClient> {
  const started = performance.now()
  const tried: Array<string> = []
  // What the question spent, whichever model ends it.
  const ended = (result: ResultItem): ResultItem => ({
    ...result,
    attempts: tally.attempts,
    latency_ms: performance.now() - started,
    usage: tally.usage,
    models_tried: tried,
    cost_usd: tally.costUsd,
    cached: result.status === "success" || result.last_response !== undefined ? tally.cached : false,
    retry_count: tally.repairs,
    lane: tally.lane
  })
  const first = chain[0]!
  const stopped = overBudget(budget)
  if (stopped !== undefined) return errorResult(item.index, first, `${stopped}; this question was not sent`, 0, 0)
  const prompt = substitute(item.question, dependencyResults, maxPromptChars)

  for (const [position, requestedModel] of chain.entries()) {
    const model = resolveModel(requestedModel)
    if (model instanceof UnknownProviderError) {
      tried.push(requestedModel)
      return ended(errorResult(item.index, requestedModel, model.message, 0, 0))
    }
    const id = modelId(model)
    tried.push(id)
    if (prompt._tag === "Error") return ended(errorResult(item.index, id, prompt.message, 0, 0))
    const before = tally.attempts
    const outcome = yield* Effect.result(answerQuestion(requestFor(item, model, prompt.text), check, maxRepairs, tally, budget))
    if (outcome._tag === "Success") {
      return ended(successResult(item.index, id, outcome.success))
    }
    const error = outcome.failure
    if (error._tag === "AnswerValidationError") {
      return ended({
        ...errorResult(item.index, id, error.message, 0, 0),
        finish_reason: error.finishReason,
        last_response: error.lastResponse
      })
    }
    const next = chain[position + 1]
    const failure = `${tried.length > 1 ? `${id}: ` : ""}${describe(error, tally.attempts - before)}`
    if (next === undefined || !fallsBack(error)) {
      const path = tried.length > 1 ? ` (the last of the models tried: ${tried.join(", ")})` : ""
      return ended(errorResult(item.index, id, `${failure}${path}`, 0, 0))
    }
    const spent = overBudget(budget)
    if (spent !== undefined) {
      return ended(errorResult(item.index, id, `${failure}; the fallback ${next} was not sent: ${spent}`, 0, 0))
    }
  }
  // `chain` is never empty: its first model is the question's own.
  return ended(errorResult(item.index, first, "no model to ask", 0, 0))
})

const requestFor = (item: QuestionItem, model: ResolvedModel, prompt: string): CompletionRequest => {
  const messages: Array<ChatMessage> = []
  if (item.system) messages.push({ role: "system", content: item.system })
  messages.push({ role: "user", content: prompt })
  return {
    model,
    messages,
    temperature: item.temperature,
    maxTokens: item.max_tokens,
    topP: item.top_p ?? undefined,
    stop: item.stop === null || item.stop === undefined
      ? undefined
      : typeof item.stop === "string"
      ? [item.stop]
      : item.stop,
    seed: item.seed ?? undefined,
    apiBase: item.api_base ?? undefined,
    cache: item.cache
  }
}

/** `attempts`: the calls this model made for the question, repairs and refused parameters included. */
const describe = (error: LlmError, attempts: number): string =>
  error._tag === "UpstreamError" && attempts > 1 ? `${error.message} (gave up after ${attempts} attempts)` : error.message

/** Every result of a question carries its `meta`, unchanged, so a client can join it back. */
export const withMeta = (result: ResultItem, item: Pick<QuestionItem, "meta">): ResultItem =>
  item.meta === undefined ? result : { ...result, meta: item.meta }

/**
 * A question's answer from `model`, on the sync lane. What its calls spent (attempts, latency, usage, cost, the models
 * tried) is not known here: `runQuestion` fills it in from the question's tally.
 */
export const successResult = (index: number, model: string, answer: Answer): ResultItem => ({
  index,
  status: "success",
  result: answer.result,
  error_message: null,
  confidence: answer.confidence,
  retry_count: 0,
  model,
  cached: false,
  attempts: 0,
  latency_ms: 0,
  usage: null,
  models_tried: [model],
  cost_usd: 0,
  finish_reason: answer.finishReason,
  lane: "sync"
})

/** A question's error result that no upstream call produced (skipped, cancelled, cut short). */
export const errorResult = (
  index: number,
  model: string,
  message: string,
  attempts: number,
  latencyMs: number
): ResultItem => ({
  index,
  status: "error",
  result: null,
  error_message: message,
  confidence: null,
  retry_count: 0,
  model,
  cached: false,
  attempts,
  latency_ms: latencyMs,
  usage: null,
  models_tried: [model],
  // No call, no cost; a call cut short may be billed all the same.
  cost_usd: attempts === 0 ? 0 : null,
  finish_reason: null,
  lane: "sync"
})
