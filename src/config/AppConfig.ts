/**
 * Every environment variable the service reads, read once at startup. Secrets are `Redacted`.
 * Tests provide their own `ConfigProvider` instead of touching `process.env`.
 */
import { Config, ConfigProvider, Context, Layer, type LogLevel, Option, Redacted, Schema } from "effect"
import { maxRepairRetries } from "../domain/Batch.ts"
import { type ProviderName, providerNames, providers } from "../domain/providers.ts"
import { defaultBatchWaiting, defaultRequestLimits, heapLimitBytes, limitsMisfit } from "./limits.ts"
import { type RateLimitRule, rateLimitsConfig } from "./rateLimits.ts"
import { fallbacksSetting, type ModelPrice, modelPricesSetting } from "./gateway.ts"
import { observabilityConfig, type ObservabilitySettings } from "./observability.ts"

export interface ProviderSettings {
  readonly baseUrl: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  /** The variable a user should set when the key is missing. */
  readonly keyVariable: string | undefined
}

export interface AppConfigShape {
  readonly host: string
  readonly logLevel: LogLevel.LogLevel
  readonly port: number
  readonly llmConcurrency: number
  /** Most upstream slots one batch may hold (default 3/4 of LLM_CONCURRENCY, at least 1). */
  readonly batchConcurrency: number
  readonly llmMaxRetries: number
  readonly llmTimeoutMs: number
  readonly llmRetryBaseDelayMs: number
  /** Ask providers that support it for token log-probabilities (`confidence`); LLM_LOGPROBS=false never does. */
  readonly llmLogprobs: boolean
  readonly validationMaxRetries: number
  readonly defaultModel: string
  readonly maxBatchSize: number
  readonly maxBodyBytes: number
  /** Largest `POST /batches`, /mcp and /rpc body (a job may hold MAX_JOB_SIZE questions); default derived from the heap. */
  readonly maxJobBodyBytes: number
  /** Most JSON values one request body may parse into (src/config/limits.ts); default derived from the heap. */
  readonly maxJsonValues: number
  /** Largest provider response body read; past it the item fails and the connection is dropped. */
  readonly maxUpstreamResponseBytes: number
  /**
   * Origins a per-question `api_base` may point at, internal addresses included, and still receive
   * the provider key.
   */
  readonly allowedApiBases: ReadonlyArray<string>
  /**
   * `public`: a per-question `api_base` may reach public addresses, and internal ones only when
   * allow-listed; `deny` rejects every one (400); `any` lets them reach any address.
   */
  readonly apiBaseOverride: ApiBaseOverride
  /** Bearer keys that callers must present; empty = auth off. */
  readonly apiKeys: ReadonlyArray<Redacted.Redacted<string>>
  readonly maxQuestionChars: number
  readonly maxTokensLimit: number
  readonly batchTimeoutMs: number
  /** How long SIGTERM waits for requests in flight before ending their unfinished questions. */
  readonly shutdownGraceMs: number
  /**
   * Browser origins, beyond loopback ones and the service's own, that may send state-changing
   * requests (POST, DELETE, …) and use /mcp: ALLOWED_ORIGINS (MCP_ALLOWED_ORIGINS, its old name, is
   * read too).
   */
  readonly allowedOrigins: ReadonlyArray<string>
  /**
   * ALLOWED_HOSTS: `Host` names served besides loopback ones, lower case (`*` = any). Bound to
   * loopback, only loopback names are served unless listed here (DNS rebinding).
   */
  readonly allowedHosts: ReadonlyArray<string>
  readonly cache: CacheSettings
  readonly jobs: JobSettings
  readonly providers: Readonly<Record<ProviderName, ProviderSettings>>
  /** RATE_LIMITS: per model glob, shared through Redis when REDIS_URL is set (src/gateway/rateLimits.ts). */
  readonly rateLimits: ReadonlyArray<RateLimitRule>
  /** FALLBACKS: the models tried after each `provider/model` fails (a question's `fallbacks` replaces them). */
  readonly fallbacks: ReadonlyMap<string, ReadonlyArray<string>>
  /** MODEL_PRICES: USD per million tokens by `provider/model`, over the price table. */
  readonly modelPrices: ReadonlyMap<string, ModelPrice>
  /** Metrics, traces and logs (src/config/observability.ts). */
  readonly observability: ObservabilitySettings
  /** CONSOLE_DIR: the built web console; unset = `console/` beside the bundle (src/http/console.ts). */
  readonly consoleDir: Option.Option<string>
}

export type ApiBaseOverride = "public" | "deny" | "any"

export interface CacheSettings {
  /** Unset = the embedded in-memory cache. May hold a password. */
  readonly redisUrl: Option.Option<Redacted.Redacted<string>>
  readonly ttlSeconds: number
  /** Bounds of the in-memory cache. */
  readonly maxEntries: number
  readonly maxBytes: number
  /** Prepended to Redis keys (several deployments or test runs can share one Redis). */
  readonly keyPrefix: string
  /** Longest wait for one Redis command before the question goes on uncached. */
  readonly redisTimeoutMs: number
}

/** Durable batch jobs (docs/jobs.md). */
export interface JobSettings {
  /** Questions per job (MAX_JOB_SIZE). */
  readonly maxJobSize: number
  /** Where the embedded SQLite store lives (unused with DATABASE_URL). */
  readonly dataDir: string
  /** `postgres://…`: jobs in PostgreSQL instead of SQLite. May hold a password. */
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  /** How long a finished job and its results are kept. */
  readonly retentionMs: number
  /** Questions per chunk: one durable step of a job. */
  readonly chunkSize: number
  /** Chunks of one job run at once (those whose dependencies are done). */
  readonly chunkConcurrency: number
  /** How often the cluster looks for work in storage that was not delivered to it directly. */
  readonly pollIntervalMs: number
  /** With PostgreSQL: the address other replicas reach this runner at (RUNNER_HOST, RUNNER_PORT). */
  readonly runnerHost: string
  readonly runnerPort: number
  readonly batchLane: BatchLaneSettings
}

/** The provider batch lane (docs/jobs.md, *Batch lane*). */
export interface BatchLaneSettings {
  /** How often a pending provider batch is read (BATCH_POLL_INTERVAL_MS). */
  readonly pollIntervalMs: number
  /** A provider batch is sent once no line has joined it for this long (BATCH_COLLECT_MS). */
  readonly collectMs: number
  /** Most lines and bytes of one provider batch, under each provider's own limit (BATCH_MAX_REQUESTS, BATCH_MAX_BYTES). */
  readonly maxRequests: number
  readonly maxBytes: number
  /**
   * Questions per chunk of a job on the batch lane (a chunk's waves go to the provider together):
   * by default BATCH_MAX_WAITING over JOB_CHUNK_CONCURRENCY, since every question of a running chunk
   * holds heap until its batch ends.
   */
  readonly chunkSize: number
  /** Questions of the batch lane this process lets wait on provider batches at once (BATCH_MAX_WAITING; default from the heap). */
  readonly maxWaiting: number
}

const positiveInt = (name: string, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), name).pipe(Config.withDefault(fallback))

const nonNegativeInt = (name: string, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), name).pipe(Config.withDefault(fallback))

/** The first of several variables that is set (e.g. PERPLEXITYAI_API_KEY, then PERPLEXITY_API_KEY). */
const firstOf = <A>(names: ReadonlyArray<string>, read: (name: string) => Config.Config<A>) =>
  names.reduce<Config.Config<Option.Option<A>>>(
    (acc, name) => acc.pipe(Config.flatMap((found) => Option.isSome(found) ? Config.succeed(found) : Config.option(read(name)))),
    Config.succeed(Option.none())
  )

const providerSettings = (name: ProviderName): Config.Config<ProviderSettings> => {
  const spec = providers[name]
  return Config.all({
    baseUrl: firstOf(spec.baseUrlVariables, Config.NonEmptyString).pipe(
      Config.map(Option.getOrElse(() => spec.defaultBaseUrl))
    ),
    apiKey: firstOf(spec.keyVariables, Config.Redacted).pipe(
      Config.map(Option.filter((key) => Redacted.value(key).length > 0))
    ),
    keyVariable: Config.succeed(spec.keyVariables[0])
  })
}

const commaList = (list: string): Array<string> =>
  list.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")

/** `https://host:port/anything` → `https://host:port`; a value that is not a URL is kept as written. */
const toOrigin = (entry: string) => URL.canParse(entry) ? new URL(entry).origin : entry

/** A malformed REDIS_URL is a startup error; its value is never echoed (it may hold a password). */
const redisUrl = Config.option(Config.Redacted("REDIS_URL")).pipe(
  Config.map(Option.filter((url) => Redacted.value(url).trim() !== "")),
  Config.flatMap((url) =>
    Option.isSome(url) && !/^rediss?:\/\/[^/]/.test(Redacted.value(url.value))
      ? Config.fail(new ConfigProvider.SourceError({ message: "REDIS_URL must look like redis://[user:password@]host[:port][/db] (or rediss://)" }))
      : Config.succeed(url)
  )
)

const cacheSettings: Config.Config<CacheSettings> = Config.all({
  redisUrl,
  ttlSeconds: positiveInt("CACHE_TTL_SECONDS", 172_800),
  maxEntries: positiveInt("CACHE_MAX_ENTRIES", 10_000),
  maxBytes: positiveInt("CACHE_MAX_BYTES", 64 * 1024 * 1024),
  keyPrefix: Config.String("CACHE_KEY_PREFIX").pipe(Config.withDefault("llm-batch:")),
  redisTimeoutMs: positiveInt("REDIS_TIMEOUT_MS", 500)
})

/** A malformed DATABASE_URL is a startup error; its value is never echoed (it may hold a password). */
const databaseUrl = Config.option(Config.Redacted("DATABASE_URL")).pipe(
  Config.map(Option.filter((url) => Redacted.value(url).trim() !== "")),
  Config.flatMap((url) =>
    Option.isSome(url) && !/^postgres(ql)?:\/\/[^/]/.test(Redacted.value(url.value))
      ? Config.fail(new ConfigProvider.SourceError({ message: "DATABASE_URL must look like postgres://[user:password@]host[:port]/database (or postgresql://)" }))
      : Config.succeed(url)
  )
)

const jobSettings: Config.Config<JobSettings> = Config.all({
  maxJobSize: positiveInt("MAX_JOB_SIZE", 50_000),
  dataDir: Config.NonEmptyString("DATA_DIR").pipe(Config.withDefault("./data")),
  databaseUrl,
  // Hours, fractions allowed (a test keeps a job for seconds).
  retentionMs: Config.schema(Schema.Finite.check(Schema.isGreaterThan(0)), "JOB_RETENTION_HOURS").pipe(
    Config.withDefault(168),
    Config.map((hours) => hours * 3_600_000)
  ),
  chunkSize: positiveInt("JOB_CHUNK_SIZE", 500),
  chunkConcurrency: positiveInt("JOB_CHUNK_CONCURRENCY", 2),
  pollIntervalMs: positiveInt("JOB_POLL_INTERVAL_MS", 1000),
  // Not HOST/PORT: those are the HTTP server's.
  runnerHost: Config.NonEmptyString("RUNNER_HOST").pipe(Config.withDefault("127.0.0.1")),
  runnerPort: Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65535 })), "RUNNER_PORT").pipe(
    Config.withDefault(34431)
  ),
  batchLane: Config.all({
    pollIntervalMs: positiveInt("BATCH_POLL_INTERVAL_MS", 60_000),
    collectMs: positiveInt("BATCH_COLLECT_MS", 1_000),
    maxRequests: positiveInt("BATCH_MAX_REQUESTS", 50_000),
    maxBytes: positiveInt("BATCH_MAX_BYTES", 200 * 1024 * 1024),
    chunkSize: Config.option(Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), "BATCH_CHUNK_SIZE")),
    maxWaiting: positiveInt("BATCH_MAX_WAITING", defaultBatchWaiting(heapLimitBytes()))
  })
}).pipe(Config.map(({ batchLane, ...jobs }): JobSettings => ({
  ...jobs,
  batchLane: {
    ...batchLane,
    // The chunks of one job that run at once hold BATCH_MAX_WAITING questions between them.
    chunkSize: Option.getOrElse(batchLane.chunkSize, () => Math.max(1, Math.floor(batchLane.maxWaiting / jobs.chunkConcurrency)))
  }
})))

/** A quarter of the slots stays free for other batches unless BATCH_CONCURRENCY says otherwise. */
export const defaultBatchConcurrency = (llmConcurrency: number): number => Math.max(1, Math.floor(llmConcurrency * 3 / 4))

export const appConfig: Config.Config<AppConfigShape> = Config.all({
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  logLevel: Config.LogLevel("LOG_LEVEL").pipe(Config.withDefault<LogLevel.LogLevel>("Info")),
  // 0 picks a free port (tests).
  port: Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })), "PORT").pipe(
    Config.withDefault(8000)
  ),
  llmConcurrency: positiveInt("LLM_CONCURRENCY", 64),
  // Resolved against LLM_CONCURRENCY below.
  batchConcurrency: Config.option(Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), "BATCH_CONCURRENCY")),
  llmMaxRetries: nonNegativeInt("LLM_MAX_RETRIES", 3),
  llmTimeoutMs: positiveInt("LLM_TIMEOUT_MS", 60_000),
  llmRetryBaseDelayMs: positiveInt("LLM_RETRY_BASE_DELAY_MS", 500),
  llmLogprobs: Config.Boolean("LLM_LOGPROBS").pipe(Config.withDefault(true)),
  // Each repair is a call: capped like a question's own max_validation_retries.
  validationMaxRetries: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: maxRepairRetries })),
    "VALIDATION_MAX_RETRIES"
  ).pipe(Config.withDefault(3)),
  defaultModel: Config.NonEmptyString("DEFAULT_MODEL").pipe(Config.withDefault("openai/gpt-4o-mini")),
  maxBatchSize: positiveInt("MAX_BATCH_SIZE", 1000),
  maxBodyBytes: positiveInt("MAX_BODY_BYTES", 2 * 1024 * 1024),
  // Both derived from the heap when unset (below).
  maxJobBodyBytes: Config.option(Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), "MAX_JOB_BODY_BYTES")),
  maxJsonValues: Config.option(Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), "MAX_JSON_VALUES")),
  maxUpstreamResponseBytes: positiveInt("MAX_UPSTREAM_RESPONSE_BYTES", 4 * 1024 * 1024),
  allowedApiBases: Config.String("ALLOWED_API_BASES").pipe(
    Config.withDefault(""),
    Config.map((list) => list.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "").map(toOrigin))
  ),
  apiBaseOverride: Config.Literals(["public", "deny", "any", "allow"], "API_BASE_OVERRIDE").pipe(
    Config.withDefault("public" as const),
    // `allow` was the default before internal addresses were refused: deployments that set it still start.
    Config.map((mode): ApiBaseOverride => mode === "allow" ? "public" : mode)
  ),
  apiKeys: Config.Redacted("API_KEYS").pipe(
    Config.withDefault(Redacted.make("")),
    Config.map((keys) =>
      Redacted.value(keys).split(",").map((key) => key.trim()).filter((key) => key !== "").map((key) =>
        Redacted.make(key)
      )
    )
  ),
  maxQuestionChars: positiveInt("MAX_QUESTION_CHARS", 100_000),
  maxTokensLimit: positiveInt("MAX_TOKENS_LIMIT", 65_536),
  batchTimeoutMs: positiveInt("BATCH_TIMEOUT_MS", 600_000),
  shutdownGraceMs: positiveInt("SHUTDOWN_GRACE_MS", 30_000),
  allowedOrigins: Config.all([
    Config.String("ALLOWED_ORIGINS").pipe(Config.withDefault("")),
    Config.String("MCP_ALLOWED_ORIGINS").pipe(Config.withDefault(""))
  ]).pipe(Config.map((lists) => commaList(lists.join(",")).map(toOrigin))),
  allowedHosts: Config.String("ALLOWED_HOSTS").pipe(
    Config.withDefault(""),
    Config.map((list) => commaList(list).map((entry) => entry.toLowerCase()))
  ),
  cache: cacheSettings,
  jobs: jobSettings,
  rateLimits: rateLimitsConfig,
  fallbacks: fallbacksSetting,
  modelPrices: modelPricesSetting,
  observability: observabilityConfig,
  consoleDir: Config.option(Config.NonEmptyString("CONSOLE_DIR")),
  providers: Config.all(
    Object.fromEntries(providerNames.map((name) => [name, providerSettings(name)])) as {
      [K in ProviderName]: Config.Config<ProviderSettings>
    }
  )
}).pipe(
  Config.flatMap((config) => {
    const heap = heapLimitBytes()
    const defaults = defaultRequestLimits(heap, config.jobs.maxJobSize)
    const resolved = {
      ...config,
      batchConcurrency: Option.getOrElse(config.batchConcurrency, () => defaultBatchConcurrency(config.llmConcurrency)),
      maxJobBodyBytes: Option.getOrElse(config.maxJobBodyBytes, () => defaults.maxJobBodyBytes),
      maxJsonValues: Option.getOrElse(config.maxJsonValues, () => defaults.maxJsonValues)
    }
    // Limits that let one request exhaust the heap are refused here, not found out by a crash.
    const misfit = limitsMisfit({ ...resolved, maxJobSize: config.jobs.maxJobSize }, heap)
    return misfit === undefined
      ? Config.succeed(resolved)
      : Config.fail(new ConfigProvider.SourceError({ message: misfit }))
  })
)

export class AppConfig extends Context.Service<AppConfig, AppConfigShape>()("llm-batch/AppConfig") {
  /** Reads the environment (or whatever `ConfigProvider` is current). */
  static readonly layer = Layer.effect(AppConfig, appConfig)
}
