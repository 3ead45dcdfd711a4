/**
 * The settings flags of `serve` and `ask`: each names a variable the service really reads, and a
 * given flag wins over `--set`, which wins over the environment; absent flags change nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option } from "effect"
import { GlobalFlag } from "effect/cli"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { settings, settingsLayer, type SettingValues } from "../../src/cli/settings.ts"
import { appConfig } from "../../src/config/AppConfig.ts"
import { repoRoot } from "../support/Cli.ts"

const configWith = (env: Record<string, string>, values: SettingValues, logLevel = Option.none<"Debug">()) =>
  Effect.gen(function*() {
    return yield* appConfig
  }).pipe(
    Effect.provide(settingsLayer(values)),
    Effect.provideService(GlobalFlag.LogLevel, logLevel),
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  )

describe("settings flags", () => {
  it("name only variables that AppConfig reads", () => {
    const source = readFileSync(join(repoRoot, "src/config/AppConfig.ts"), "utf8")
    for (const { variable } of Object.values(settings)) expect(source, variable).toContain(`"${variable}"`)
  })

  it.effect("a given flag wins over --set, which wins over the environment", () =>
    Effect.gen(function*() {
      const config = yield* configWith(
        { PORT: "1", LLM_CONCURRENCY: "5", MAX_BATCH_SIZE: "7" },
        {
          named: { port: Option.some("9000"), "llm-concurrency": Option.none() },
          set: Option.some({ PORT: "2", LLM_CONCURRENCY: "6" })
        }
      )
      expect(config.port).toBe(9000)
      expect(config.llmConcurrency).toBe(6)
      expect(config.maxBatchSize).toBe(7)
    }))

  it.effect("--log-level becomes LOG_LEVEL", () =>
    Effect.gen(function*() {
      const config = yield* configWith({ LOG_LEVEL: "Error" }, { named: {}, set: Option.none() }, Option.some("Debug"))
      expect(config.logLevel).toBe("Debug")
    }))
})
