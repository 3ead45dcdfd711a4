/**
 * The engine's services as one layer: configuration, the answer cache and the provider client;
 * and with batch jobs, for the surfaces that take them. Every surface runs over these; they load
 * no surface, so `llm-batch mcp` and `llm-batch ask` start without the HTTP server's modules.
 */
import { Cause, Effect, Layer, References } from "effect"
import { Cache } from "./cache/Cache.ts"
import * as CachedLlmClient from "./cache/CachedLlmClient.ts"
import { AppConfig } from "./config/AppConfig.ts"
import { RateLimits } from "./gateway/rateLimits.ts"
import { Jobs } from "./jobs/Jobs.ts"
import { LlmClient } from "./llm/LlmClient.ts"

/** LOG_LEVEL applies to everything the server runs. */
export const LogLevelLayer = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  return Layer.succeed(References.MinimumLogLevel, config.logLevel)
}))

/**
 * The cache wraps the provider client, so every caller of `LlmClient` goes through it (a cache hit
 * spends no rate limit); the client waits for RATE_LIMITS before each upstream attempt.
 */
const CachedLlmClientLayer = CachedLlmClient.layer.pipe(
  Layer.provide(LlmClient.layer),
  Layer.provide(RateLimits.layer)
)

export const ServicesLayer = CachedLlmClientLayer.pipe(
  Layer.provideMerge(Cache.layer),
  // The cache logs which store is active (and Redis outages) from its layer: LOG_LEVEL applies.
  Layer.provide(LogLevelLayer),
  Layer.provideMerge(AppConfig.layer)
)

/** Batch jobs' modules are loaded by the surfaces that take jobs: `llm-batch ask` never reads them. */
const jobsModule = Effect.promise(() => import("./jobs/layer.ts"))

/** The HTTP server's services: batch jobs too, and a job store that cannot open stops the start. */
export const ServicesWithJobsLayer = Layer.unwrap(Effect.map(jobsModule, (jobs) => jobs.layer)).pipe(
  Layer.provide(LogLevelLayer),
  Layer.provideMerge(ServicesLayer)
)

/**
 * MCP over stdio's: a host may start it next to a running server on the same DATA_DIR, so a job
 * store that cannot open leaves `batch_ask` working and makes the job tools say why.
 */
export const ServicesWithJobsIfAvailableLayer = Layer.unwrap(Effect.map(jobsModule, (jobs) =>
  jobs.layer.pipe(
    Layer.catchCause((cause) => {
      const reason = Cause.squash(cause)
      return Layer.effect(
        Jobs,
        Effect.flatMap(AppConfig, (config) =>
          Effect.as(
            Effect.logWarning("the batch job tools are off (batch_ask and batch_estimate work):", reason),
            jobs.unavailableJobs(reason, config)
          ))
      )
    })
  ))).pipe(
  Layer.provide(LogLevelLayer),
  Layer.provideMerge(ServicesLayer)
)
