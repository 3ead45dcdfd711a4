/**
 * RATE_LIMITS: a JSON array of `{"model": "<glob>", "rpm"?: n, "tpm"?: n}`, read once at startup.
 * A value that does not parse stops the start with a message naming the entry and the field.
 */
import { Config, ConfigProvider, Option, Result, Schema } from "effect"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** One budget: every model the glob matches shares it (docs/gateway.md, "Rate limits"). */
export const RateLimitRule = Schema.Struct({
  model: Schema.String.annotate({
    description: "A glob over `provider/model` ids: `openai/*`, `anthropic/claude-*`; `**` matches every model"
  }),
  rpm: Schema.optionalKey(PositiveInt.annotate({ description: "Requests a minute" })),
  tpm: Schema.optionalKey(PositiveInt.annotate({
    description: "Tokens a minute: prompt estimate plus max_tokens reserved before a call, reconciled with its usage after"
  }))
}).check(Schema.makeFilter((rule) =>
  rule.rpm !== undefined || rule.tpm !== undefined ? undefined : "Expected \"rpm\" or \"tpm\" (or both)"
))
export type RateLimitRule = typeof RateLimitRule.Type

const RateLimitRules = Schema.Array(RateLimitRule)

const shape = `each entry is {"model": "<provider/model glob>", "rpm"?: positive integer, "tpm"?: positive integer}`

/** A model glob that could never match a `provider/model` id is a mistake worth stopping for. */
const globProblem = (pattern: string): string | undefined => {
  if (pattern.trim() === "") return "is empty"
  if (!pattern.includes("/") && !pattern.includes("**")) {
    return `cannot match a model id: ids are provider/model, e.g. "openai/${pattern}" or "openai/*" ("**" matches every model)`
  }
  return undefined
}

/** The rules, or what is wrong with the text (for the startup error). */
export const parseRateLimits = (text: string): Result.Result<ReadonlyArray<RateLimitRule>, string> => {
  if (text.trim() === "") return Result.succeed([])
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Result.fail(`RATE_LIMITS is not valid JSON (${error instanceof Error ? error.message : String(error)}); ${shape}`)
  }
  const decoded = Schema.decodeUnknownResult(RateLimitRules)(json, { onExcessProperty: "error" })
  if (Result.isFailure(decoded)) {
    return Result.fail(`RATE_LIMITS: ${decoded.failure.message.replace(/\n\s*/g, " ")}; ${shape}`)
  }
  const seen = new Set<string>()
  for (const [index, rule] of decoded.success.entries()) {
    const problem = globProblem(rule.model)
    if (problem !== undefined) return Result.fail(`RATE_LIMITS[${index}].model "${rule.model}" ${problem}`)
    // The glob names the shared bucket: two entries for one glob would be two budgets under one name.
    if (seen.has(rule.model)) {
      return Result.fail(`RATE_LIMITS[${index}].model "${rule.model}" appears twice; put its rpm and tpm in one entry`)
    }
    seen.add(rule.model)
  }
  return Result.succeed(decoded.success)
}

export const rateLimitsConfig: Config.Config<ReadonlyArray<RateLimitRule>> = Config.option(Config.String("RATE_LIMITS"))
  .pipe(
    Config.flatMap((text) => {
      const parsed = parseRateLimits(Option.getOrElse(text, () => ""))
      return Result.isSuccess(parsed)
        ? Config.succeed(parsed.success)
        : Config.fail(new ConfigProvider.SourceError({ message: parsed.failure }))
    })
  )
