/** RATE_LIMITS is read once at startup; a value that cannot be what the operator meant stops the start. */
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Result } from "effect"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { parseRateLimits } from "../../src/config/rateLimits.ts"

const problem = (text: string): string => {
  const parsed = parseRateLimits(text)
  return Result.isFailure(parsed) ? parsed.failure : "accepted"
}

describe("RATE_LIMITS", () => {
  it("reads globs with rpm, tpm or both; unset or empty means no limits", () => {
    expect(parseRateLimits(`[{"model":"openai/*","rpm":30},{"model":"anthropic/claude-*","rpm":50,"tpm":40000}]`))
      .toEqual(Result.succeed([{ model: "openai/*", rpm: 30 }, { model: "anthropic/claude-*", rpm: 50, tpm: 40000 }]))
    expect(parseRateLimits("")).toEqual(Result.succeed([]))
    expect(parseRateLimits("[]")).toEqual(Result.succeed([]))
  })

  it("refuses text that is not JSON", () => {
    expect(problem(`[{model: "openai/*", rpm: 30}]`)).toMatch(/^RATE_LIMITS is not valid JSON \(.+\); each entry is \{"model"/)
  })

  it("refuses an unknown field, naming the entry and the field", () => {
    expect(problem(`[{"model":"openai/*","rpm":30},{"model":"openai/gpt-4o","rps":3}]`))
      .toMatch(/^RATE_LIMITS: .*excess property.* at \[1\]\["rps"\]/)
  })

  it("refuses zero, negative and fractional limits", () => {
    expect(problem(`[{"model":"openai/*","rpm":0}]`)).toMatch(/greater than 0 at \[0\]\["rpm"\]/)
    expect(problem(`[{"model":"openai/*","tpm":-5}]`)).toMatch(/greater than 0 at \[0\]\["tpm"\]/)
    expect(problem(`[{"model":"openai/*","rpm":1.5}]`)).toMatch(/integer at \[0\]\["rpm"\]/)
  })

  it("refuses an entry with neither rpm nor tpm", () => {
    expect(problem(`[{"model":"openai/*"}]`)).toMatch(/Expected "rpm" or "tpm" \(or both\) at \[0\]/)
  })

  it("refuses a glob that can never match a provider/model id, and a glob listed twice", () => {
    expect(problem(`[{"model":"gpt-4o","rpm":10}]`)).toBe(
      `RATE_LIMITS[0].model "gpt-4o" cannot match a model id: ids are provider/model, e.g. "openai/gpt-4o" or "openai/*" ("**" matches every model)`
    )
    expect(problem(`[{"model":"openai/*","rpm":10},{"model":"openai/*","tpm":10}]`)).toMatch(/\[1\]\.model "openai\/\*" appears twice/)
    expect(problem(`{"model":"openai/*","rpm":10}`)).toMatch(/^RATE_LIMITS: Expected array/)
  })

  it.effect("a bad value stops the start with that message", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.void.pipe(
        Effect.provide(AppConfig.layer),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { RATE_LIMITS: `[{"model":"openai/*"}]` } })))
      ))
      expect(exit._tag).toBe("Failure")
      expect(Cause.pretty(exit._tag === "Failure" ? exit.cause : Cause.empty)).toContain(`Expected "rpm" or "tpm"`)
    }))
})
