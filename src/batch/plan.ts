/**
 * Checks a batch and builds its dependency graph before any call is made: duplicate indexes,
 * references to missing questions, cycles, unknown response models and invalid inline schemas
 * are the caller's errors (HTTP 400).
 */
import { Effect } from "effect"
import type { AppConfigShape } from "../config/AppConfig.ts"
import type { BatchRequest, QuestionItem } from "../domain/Batch.ts"
import { InvalidBatchError, UnknownProviderError } from "../domain/Errors.ts"
import { modelId, resolveModel } from "../domain/providers.ts"
import { modelChain } from "../gateway/fallbacks.ts"
import { type Prices, pricesWith } from "../gateway/prices.ts"
import { internalHost } from "../llm/addressGuard.ts"
import { type AnswerCheck, prepareAnswerChecks, validateAnswerChecks } from "../validation/strategies.ts"
import { dependenciesOf } from "./dependencies.ts"

/** A question of a checked batch, and the indexes of the items it waits for. */
export interface CheckedItem {
  readonly item: QuestionItem
  readonly dependsOn: ReadonlyArray<number>
}

export interface PlannedItem extends CheckedItem {
  /** How its answer is asked for and checked (schemas compiled once, here). */
  readonly check: AnswerCheck
}

export type PlanLimits =
  & Pick<
    AppConfigShape,
    | "maxBatchSize"
    | "maxQuestionChars"
    | "maxTokensLimit"
    | "apiBaseOverride"
    | "allowedApiBases"
    | "defaultModel"
    | "fallbacks"
    | "modelPrices"
  >
  & {
    /** The setting `maxBatchSize` comes from, named when it is exceeded (default MAX_BATCH_SIZE; jobs: MAX_JOB_SIZE). */
    readonly maxBatchSizeSetting?: string
  }

/** Questions checked between two yields to the event loop. */
const yieldEvery = 2_000

export const planBatch = (
  request: BatchRequest,
  limits: PlanLimits
): Effect.Effect<ReadonlyArray<PlannedItem>, InvalidBatchError> =>
  checkAll(request, limits, prepareAnswerChecks, (item, dependsOn, checks, position) => ({
    item,
    dependsOn,
    check: checks[position]!
  }))

/**
 * Everything `planBatch` checks, without keeping the questions' compiled answer checks: a job's
 * submit needs only the graph (each chunk builds its checks when it runs).
 */
export const checkBatch = (
  request: BatchRequest,
  limits: PlanLimits
): Effect.Effect<ReadonlyArray<CheckedItem>, InvalidBatchError> =>
  checkAll(request, limits, validateAnswerChecks, (item, dependsOn) => ({ item, dependsOn }))

const checkAll = Effect.fnUntraced(function*<Checks, Item extends CheckedItem>(
  request: BatchRequest,
  limits: PlanLimits,
  answerChecks: (questions: ReadonlyArray<QuestionItem>) => Effect.Effect<Checks, InvalidBatchError>,
  make: (item: QuestionItem, dependsOn: ReadonlyArray<number>, checks: Checks, position: number) => Item
): Effect.fn.Return<ReadonlyArray<Item>, InvalidBatchError> {
  const { questions } = request
  const fail = (message: string) => new InvalidBatchError({ message })
  if (questions.length === 0) return yield* fail("questions: the batch has no questions")
  if (questions.length > limits.maxBatchSize) {
    return yield* fail(
      `questions: ${questions.length} questions exceed the limit of ${limits.maxBatchSize} ` +
        `(${limits.maxBatchSizeSetting ?? "MAX_BATCH_SIZE"})`
    )
  }

  const positionOf = new Map<number, number>()
  for (const [position, item] of questions.entries()) {
    const earlier = positionOf.get(item.index)
    if (earlier !== undefined) {
      return yield* fail(
        `questions[${position}].index: index ${item.index} is already used by questions[${earlier}]`
      )
    }
    positionOf.set(item.index, position)
  }

  // With a budget, whether each model has a price: looked up once per model, not per question.
  const priced = request.max_cost_usd === undefined
    ? undefined
    : { prices: yield* pricesWith(limits.modelPrices), known: new Map<string, boolean>() }
  for (const [position, item] of questions.entries()) {
    const problem = checkLimits(item, limits) ?? checkModels(item, limits, priced)
    if (problem !== undefined) return yield* fail(`questions[${position}].${problem}`)
    // A job's 50,000 questions take ~0.5 s to check: other requests get turns meanwhile.
    if (position % yieldEvery === yieldEvery - 1) yield* Effect.yieldNow
  }

  const checks = yield* answerChecks(questions)

  const dependencies = dependenciesOf(questions)
  const planned: Array<Item> = []
  for (const [position, item] of questions.entries()) {
    const { dependsOn, references } = dependencies[position]!
    const missing = references.find((reference) => !positionOf.has(reference.index))
    if (missing !== undefined) {
      return yield* fail(
        `questions[${position}].question: ${missing.text} refers to index ${missing.index}, ` +
          `which is not in the batch`
      )
    }
    planned.push(make(item, dependsOn, checks, position))
    if (position % yieldEvery === yieldEvery - 1) yield* Effect.yieldNow
  }

  const cycle = findCycle(planned)
  if (cycle !== undefined) {
    return yield* fail(`questions: dependency cycle (each waits for the next): ${cycle.map((index) => `Q${index}`).join(" → ")}`)
  }
  return planned
})

/** The first per-question limit the item breaks, as `field: problem`, or undefined. */
const checkLimits = (item: QuestionItem, limits: PlanLimits): string | undefined => {
  if (item.question.length > limits.maxQuestionChars) {
    return `question: ${item.question.length} characters exceed the limit of ${limits.maxQuestionChars} (MAX_QUESTION_CHARS)`
  }
  if (item.system && item.system.length > limits.maxQuestionChars) {
    return `system: ${item.system.length} characters exceed the limit of ${limits.maxQuestionChars} (MAX_QUESTION_CHARS)`
  }
  if (item.max_tokens > limits.maxTokensLimit) {
    return `max_tokens: ${item.max_tokens} exceeds the limit of ${limits.maxTokensLimit} (MAX_TOKENS_LIMIT)`
  }
  if (item.api_base !== undefined && item.api_base !== null) return checkApiBase(item.api_base, limits)
  return undefined
}

/**
 * A fallback that names no model is the caller's error. With a budget, every model the question
 * may use needs a price: a cost that cannot be counted would let the budget be overrun unseen.
 */
const checkModels = (
  item: QuestionItem,
  limits: PlanLimits,
  priced: { readonly prices: Prices; readonly known: Map<string, boolean> } | undefined
): string | undefined => {
  for (const [position, fallback] of (item.fallbacks ?? []).entries()) {
    const model = resolveModel(fallback)
    if (model instanceof UnknownProviderError) return `fallbacks[${position}]: ${model.message}`
  }
  if (priced === undefined) return undefined
  for (const [position, name] of modelChain(item, limits.defaultModel, limits.fallbacks).entries()) {
    const model = resolveModel(name)
    if (model instanceof UnknownProviderError) continue
    const id = modelId(model)
    const known = priced.known.get(id) ?? priced.prices.hasPrice(model)
    priced.known.set(id, known)
    if (!known) {
      const own = position === 0 || item.fallbacks !== undefined && item.fallbacks !== null
      return `${position === 0 ? "model" : own ? "fallbacks" : "model"}: max_cost_usd needs a price for every model ` +
        `a question may use, and ${id}${own ? "" : " (its fallback in the service's FALLBACKS)"} has none in the ` +
        "price table: add it to the service's MODEL_PRICES, or leave out max_cost_usd"
    }
  }
  return undefined
}

/**
 * A per-question base URL's problem, or undefined. Internal IP literals and `localhost` names are
 * refused here, before any call; names that resolve to internal addresses are refused at connect
 * time (src/llm/addressGuard.ts).
 */
const checkApiBase = (apiBase: string, limits: PlanLimits): string | undefined => {
  if (limits.apiBaseOverride === "deny") {
    return "api_base: per-question base URLs are disabled on this service (API_BASE_OVERRIDE=deny)"
  }
  const url = URL.canParse(apiBase) ? new URL(apiBase) : undefined
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return `api_base: expected an http:// or https:// URL, got ${JSON.stringify(apiBase.slice(0, 100))}`
  }
  if (limits.apiBaseOverride === "any" || limits.allowedApiBases.includes(url.origin)) return undefined
  const host = internalHost(url)
  return host === undefined ? undefined :
    `api_base: ${url.origin} is an internal address (${host}); a per-question base URL may only reach ` +
    `public addresses unless the service's operator lists its origin in ALLOWED_API_BASES`
}

/** A cycle as a list of indexes (first repeated at the end), or undefined. Iterative DFS. */
const findCycle = (items: ReadonlyArray<CheckedItem>): ReadonlyArray<number> | undefined => {
  const edges = new Map(items.map((p) => [p.item.index, p.dependsOn]))
  const state = new Map<number, "visiting" | "done">()
  for (const start of edges.keys()) {
    if (state.has(start)) continue
    const stack: Array<{ readonly node: number; next: number }> = [{ node: start, next: 0 }]
    state.set(start, "visiting")
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!
      const deps = edges.get(frame.node) ?? []
      if (frame.next >= deps.length) {
        state.set(frame.node, "done")
        stack.pop()
        continue
      }
      const dep = deps[frame.next++]!
      const seen = state.get(dep)
      if (seen === "visiting") {
        const path = stack.map((f) => f.node)
        return [...path.slice(path.indexOf(dep)), dep]
      }
      if (seen === undefined) {
        state.set(dep, "visiting")
        stack.push({ node: dep, next: 0 })
      }
    }
  }
  return undefined
}
