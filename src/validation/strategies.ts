/**
 * Validation strategies: how a question's answer is asked for and checked. A strategy turns the
 * question's target schema (registered model, inline schema or none) into an `AnswerCheck`; the
 * engine and the repair loop only ever see `AnswerCheck`.
 *
 * To add a strategy: add its name to `ValidationStrategy` (the public contract, src/domain/Batch.ts)
 * and one entry to `strategies` below; the type checker points at the missing entry.
 */
import { Effect, Result } from "effect"
import type { Json } from "effect/Schema"
import type { QuestionItem, ValidationStrategy } from "../domain/Batch.ts"
import { InvalidBatchError } from "../domain/Errors.ts"
import type { ResponseFormat } from "../llm/types.ts"
import { jsonCandidates } from "./extract.ts"
import { compileInlineSchema } from "./inlineSchema.ts"
import { responseModels } from "./models.ts"

/** How to ask for one question's answer and how to check it; built once per request. */
export interface AnswerCheck {
  /** Added to the system prompt (answer form, schema); undefined = the question is sent as is. */
  readonly instructions: string | undefined
  /** Native structured output to ask providers for; undefined = none. */
  readonly responseFormat: ResponseFormat | undefined
  /** The result value, or a readable `path: problem` error that goes into the repair prompt. */
  readonly check: (text: string) => Result.Result<Json, string>
}

/** The schema a question names, resolved and compiled. */
export interface TargetSchema {
  /** Shown to providers as the format's name. */
  readonly name: string
  readonly jsonSchema: Readonly<Record<string, unknown>>
  readonly decode: (value: Json) => Result.Result<Json, string>
}

export type Strategy = (target: TargetSchema | undefined) => AnswerCheck

const onlyJson = "no prose before or after it, and no code fence."

const plainText: AnswerCheck = {
  instructions: undefined,
  responseFormat: undefined,
  check: (text) => Result.succeed(text)
}

const anyJson: AnswerCheck = {
  instructions: `Answer with only a JSON value: ${onlyJson}`,
  // OpenAI's json_object mode would rule out arrays and scalars, which this strategy accepts.
  responseFormat: undefined,
  check: (text) => {
    const [first] = jsonCandidates(text)
    return first === undefined
      ? Result.fail("answer: no JSON found; expected a JSON value and nothing else")
      : Result.succeed(first)
  }
}

const buildMatching = (target: TargetSchema): AnswerCheck => ({
  instructions: `Answer with only a JSON value that matches this JSON Schema, ${onlyJson}\n` +
    JSON.stringify(target.jsonSchema),
  responseFormat: { name: target.name, schema: target.jsonSchema },
  check: (text) => {
    const [first, ...others] = jsonCandidates(text)
    if (first === undefined) return Result.fail("answer: no JSON found; expected a JSON value matching the schema")
    // Prose may quote other JSON (an example, an echo of the input): the first candidate that
    // decodes wins; if none does, the most likely one's error is the one to report.
    const decoded = target.decode(first)
    if (Result.isSuccess(decoded)) return decoded
    for (const candidate of others) {
      const alternative = target.decode(candidate)
      if (Result.isSuccess(alternative)) return alternative
    }
    return decoded
  }
})

/** One check per target, so a registered model's provider formats are converted once per process. */
const matchingChecks = new WeakMap<TargetSchema, AnswerCheck>()
const matching = (target: TargetSchema): AnswerCheck => {
  const known = matchingChecks.get(target)
  if (known !== undefined) return known
  const built = buildMatching(target)
  matchingChecks.set(target, built)
  return built
}

const schema: Strategy = (target) => target === undefined ? plainText : matching(target)

export const strategies: Record<ValidationStrategy, Strategy> = {
  schema,
  /** The original Python service's name for `schema`. */
  pydantic: schema,
  json: () => anyJson,
  none: () => plainText
}

const registeredTargets: ReadonlyMap<string, TargetSchema> = new Map(
  responseModels.map((model) => [model.name, { name: model.name, jsonSchema: model.jsonSchema, decode: model.decode }])
)

/** The question's `response_model` / `response_schema`, resolved; a failure is a 400 message. */
const resolveTarget = (item: QuestionItem, path: string): Result.Result<TargetSchema | undefined, string> => {
  const modelName = item.response_model ?? undefined
  const inlineSchema = item.response_schema ?? undefined
  if (modelName !== undefined && inlineSchema !== undefined) {
    return Result.fail(`${path}: give response_model or response_schema, not both`)
  }
  if (modelName !== undefined) {
    const target = registeredTargets.get(modelName)
    return target === undefined
      ? Result.fail(
        `${path}.response_model: unknown response model '${modelName}'; known models: ` +
          `${[...registeredTargets.keys()].join(", ")} (GET /models/response describes them)`
      )
      : Result.succeed(target)
  }
  if (inlineSchema !== undefined) {
    return compileInlineSchema(inlineSchema, `${path}.response_schema`).pipe(
      Result.map((inline) => ({ name: "response", jsonSchema: inline.jsonSchema, decode: inline.validate }))
    )
  }
  return Result.succeed(undefined)
}

/**
 * Every question's check, in request order, built before any call is made: an unknown model name
 * or an invalid inline schema fails the whole batch (HTTP 400), naming the question.
 */
export const prepareAnswerChecks = Effect.fnUntraced(function*(
  questions: ReadonlyArray<QuestionItem>
): Effect.fn.Return<ReadonlyArray<AnswerCheck>, InvalidBatchError> {
  const checks: Array<AnswerCheck> = []
  yield* eachAnswerCheck(questions, (check) => checks.push(check), true)
  return checks
})

/**
 * Checks every question's schema the way `prepareAnswerChecks` does, keeping none: a job's checks
 * are built again by the chunk that runs its questions, and 50,000 compiled schemas (~4 KB each)
 * would otherwise be held at once by the submit.
 */
export const validateAnswerChecks = (questions: ReadonlyArray<QuestionItem>): Effect.Effect<void, InvalidBatchError> =>
  eachAnswerCheck(questions, () => undefined, false)

/**
 * Each question's check in order, handed to `use` as it is built (the estimate reads its
 * instructions and format at once): questions with the same inline schema share one check.
 */
export const forEachAnswerCheck = (
  questions: ReadonlyArray<QuestionItem>,
  use: (check: AnswerCheck) => void
): Effect.Effect<void, InvalidBatchError> => eachAnswerCheck(questions, use, true)

/** Schemas compiled between two yields: a job of distinct schemas must not hold the event loop for its whole compile. */
const compilesPerTurn = 100

/**
 * Each question's check in order. Questions with the same inline schema share one check: a job or
 * a batch usually asks one schema of many questions, and each compile costs memory and time. With
 * `keep` false only the fact that a schema compiled is remembered, not its check.
 */
const eachAnswerCheck = Effect.fnUntraced(function*(
  questions: ReadonlyArray<QuestionItem>,
  use: (check: AnswerCheck) => void,
  keep: boolean
): Effect.fn.Return<void, InvalidBatchError> {
  const inline = new Map<string, AnswerCheck | null>()
  let compiles = 0
  for (const [position, item] of questions.entries()) {
    // Only a schema alone: with a response_model too, resolveTarget must refuse the pair.
    const schemaKey = item.response_schema === undefined || item.response_schema === null ||
        (item.response_model !== undefined && item.response_model !== null)
      ? undefined
      : `${item.validation_strategy}\u0000${JSON.stringify(item.response_schema)}`
    const known = schemaKey === undefined ? undefined : inline.get(schemaKey)
    if (known === null) continue
    if (known !== undefined) {
      use(known)
      continue
    }
    if (schemaKey !== undefined && ++compiles % compilesPerTurn === 0) yield* Effect.yieldNow
    const target = resolveTarget(item, `questions[${position}]`)
    if (Result.isFailure(target)) return yield* new InvalidBatchError({ message: target.failure })
    const check = strategies[item.validation_strategy](target.success)
    if (schemaKey !== undefined) inline.set(schemaKey, keep ? check : null)
    use(check)
  }
})
