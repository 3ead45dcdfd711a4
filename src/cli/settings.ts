/**
 * Command-line flags that mirror environment variables. A flag that is given overrides its
 * variable through a `ConfigProvider` layered over the environment's, so `AppConfig` stays the
 * one place that reads and validates settings. The common variables have flags of their own;
 * `--set NAME=VALUE` reaches every other one.
 */
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { Flag, GlobalFlag } from "effect/cli"

interface Setting {
  readonly variable: string
  readonly kind: "string" | "int"
  readonly description: string
}

/** Keyed by flag name. Provider keys and API_KEYS have no flag: argv is visible to other users. */
export const settings = {
  host: { variable: "HOST", kind: "string", description: "listen address (HOST, default 127.0.0.1)" },
  port: { variable: "PORT", kind: "int", description: "listen port, 0 picks a free one (PORT, default 8000)" },
  "redis-url": {
    variable: "REDIS_URL",
    kind: "string",
    description: "redis://… shared cache; unset = in-memory (REDIS_URL; prefer the variable if it holds a password)"
  },
  "cache-ttl-seconds": { variable: "CACHE_TTL_SECONDS", kind: "int", description: "cache entry lifetime (CACHE_TTL_SECONDS)" },
  "llm-concurrency": { variable: "LLM_CONCURRENCY", kind: "int", description: "max upstream calls in flight (LLM_CONCURRENCY)" },
  "llm-max-retries": { variable: "LLM_MAX_RETRIES", kind: "int", description: "transport retries per call (LLM_MAX_RETRIES)" },
  "llm-timeout-ms": { variable: "LLM_TIMEOUT_MS", kind: "int", description: "per-attempt upstream timeout (LLM_TIMEOUT_MS)" },
  "validation-max-retries": {
    variable: "VALIDATION_MAX_RETRIES",
    kind: "int",
    description: "default repair retries per question (VALIDATION_MAX_RETRIES)"
  },
  "default-model": { variable: "DEFAULT_MODEL", kind: "string", description: "model when a question names none (DEFAULT_MODEL)" },
  "max-batch-size": { variable: "MAX_BATCH_SIZE", kind: "int", description: "questions per batch (MAX_BATCH_SIZE)" }
} as const satisfies Record<string, Setting>

export type SettingName = keyof typeof settings

export interface SettingValues {
  readonly named: Readonly<Record<string, Option.Option<string>>>
  readonly set: Option.Option<Readonly<Record<string, string>>>
}

const toFlag = (name: SettingName): Flag.Flag<Option.Option<string>> => {
  const setting: Setting = settings[name]
  const flag = setting.kind === "int"
    ? Flag.Int(name).pipe(Flag.map(String), Flag.withMetavar("N"))
    : Flag.String(name)
  return flag.pipe(Flag.withDescription(setting.description), Flag.optional)
}

const setFlag = Flag.KeyValuePair("set").pipe(
  Flag.withMetavar("NAME=VALUE"),
  Flag.withDescription("set any variable of docs/configuration.md for this run; repeatable"),
  Flag.optional
)

/** The flags for a subcommand, to be nested in its `Command.make` config. */
export const settingFlags = (names: ReadonlyArray<SettingName>) => ({
  named: Object.fromEntries(names.map((name) => [name, toFlag(name)])),
  set: setFlag
})

const isSettingName = (name: string): name is SettingName => Object.hasOwn(settings, name)

/**
 * Named flags win over `--set`, which wins over the environment. The CLI's built-in
 * `--log-level` becomes LOG_LEVEL, because the service takes its log level from config.
 */
export const settingsLayer = (values: SettingValues) =>
  Layer.unwrap(Effect.gen(function*() {
    const env: Record<string, string> = { ...Option.getOrElse(values.set, () => ({})) }
    for (const [name, value] of Object.entries(values.named)) {
      if (isSettingName(name) && Option.isSome(value)) env[settings[name].variable] = value.value
    }
    const logLevel = yield* GlobalFlag.LogLevel
    if (Option.isSome(logLevel)) env.LOG_LEVEL = logLevel.value
    return ConfigProvider.layerAdd(ConfigProvider.fromEnv({ env }), { asPrimary: true })
  }))

export const serveSettings: ReadonlyArray<SettingName> = Object.keys(settings).filter(isSettingName)

/** `ask` runs no server, so the listen settings do not apply. */
export const askSettings: ReadonlyArray<SettingName> = serveSettings.filter((name) => name !== "host" && name !== "port")
