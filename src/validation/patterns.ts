/**
 * Schema patterns (`pattern`, `patternProperties`, `format: "regex"`) run on RE2 (the re2js port):
 * no backtracking, so `^(a+)+$` cannot stall the event loop. RE2 is linear in the input *per
 * compiled instruction*, and the caller chooses the instructions, so patterns are also capped in
 * length, in repeat counts and in program size, and a test whose worst case (instructions ×
 * characters) is over a budget fails instead of running.
 */
import { Data, Result } from "effect"
import { RE2JS, RE2JSException } from "re2js"

export const patternLimits = {
  maxLength: 512,
  /** Sum of the `{n,m}` bounds: checked before compiling, since compiling expands each repeat. */
  maxRepeatTotal: 2_000,
  maxInstructions: 5_000,
  /** Instructions × characters of one test: well under a second even when RE2 falls back to its NFA. */
  maxSteps: 20_000_000
} as const

/** Thrown out of Ajv's generated code by `test` (Ajv's regexp interface returns only a boolean). */
export class PatternTooCostly extends Data.TaggedError("PatternTooCostly")<{ readonly message: string }> {}

/** What Ajv needs of a regexp; `toString` is the source, which Ajv uses to share compiled patterns. */
export interface SchemaPattern {
  readonly test: (input: string) => boolean
  readonly toString: () => string
}

/**
 * ECMAScript `\uXXXX` and `\u{X…}` escapes, common in JSON Schemas, as RE2's `\x{X…}`; any other
 * escape pair (`\\` included) is kept, so `\\u0041` stays a backslash and `u0041`.
 */
const toRe2Syntax = (source: string): string =>
  source.includes("\\u")
    ? source.replace(
      /\\(?:u\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4})|[^])/g,
      (escape, braced: string | undefined, fixed: string | undefined) =>
        braced === undefined && fixed === undefined ? escape : `\\x{${braced ?? fixed}}`
    )
    : source

const repeatTotal = (source: string): number => {
  let total = 0
  for (const match of source.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) {
    total += Math.max(Number(match[1]), Number(match[2] ?? 0))
  }
  return total
}

const budgeted = (source: string, re: RE2JS): SchemaPattern => {
  const instructions = re.programSize()
  return {
    test: (input) => {
      if (input.length * instructions > patternLimits.maxSteps) {
        throw new PatternTooCostly({
          message: `a ${input.length}-character value is too long to check against pattern '${source}'`
        })
      }
      return re.test(input)
    },
    toString: () => source
  }
}

const compileUncached = (source: string): Result.Result<SchemaPattern, string> => {
  if (repeatTotal(source) > patternLimits.maxRepeatTotal) {
    return Result.fail(
      `pattern '${source}' repeats more than ${patternLimits.maxRepeatTotal} times in all; ` +
        "limit lengths with minLength/maxLength instead"
    )
  }
  let re: RE2JS
  try {
    re = RE2JS.compile(toRe2Syntax(source))
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error
    return Result.fail(
      `pattern '${source}' is not supported: ${error.message.replace(/^error parsing regexp: /, "")} ` +
        "(patterns use RE2 syntax: no lookahead, lookbehind or backreferences)"
    )
  }
  if (re.programSize() > patternLimits.maxInstructions) {
    return Result.fail(
      `pattern '${source}' is too complex (${re.programSize()} instructions, at most ` +
        `${patternLimits.maxInstructions}); limit lengths with minLength/maxLength instead`
    )
  }
  return Result.succeed(budgeted(source, re))
}

// Callers tend to send the same schema with every request; this also spares compiling a pattern
// twice (checked with its path first, then compiled by Ajv). Bounded, oldest evicted first.
const cache = new Map<string, Result.Result<SchemaPattern, string>>()
const maxCached = 500

/** A pattern compiled for linear-time matching, or why it cannot be used. */
export const compilePattern = (source: string): Result.Result<SchemaPattern, string> => {
  if (source.length > patternLimits.maxLength) {
    return Result.fail(`pattern is ${source.length} characters long; at most ${patternLimits.maxLength} are allowed`)
  }
  const cached = cache.get(source)
  if (cached !== undefined) return cached
  const compiled = compileUncached(source)
  if (cache.size >= maxCached) cache.delete(cache.keys().next().value!)
  cache.set(source, compiled)
  return compiled
}

/**
 * Ajv's `code.regExp` engine. Every pattern has been checked (with its path) before Ajv compiles,
 * so throwing here is only a backstop; Ajv's `u` flag needs nothing, as RE2 matches code points.
 */
export const re2Engine = Object.assign(
  (source: string): SchemaPattern => {
    const compiled = compilePattern(source)
    if (Result.isFailure(compiled)) throw new Error(compiled.failure)
    return compiled.success
  },
  { code: "re2js" }
)

/** The `regex` format: a string is a regex when RE2 can run it within the limits above. */
export const isUsablePattern = (value: string): boolean => Result.isSuccess(compilePattern(value))
