/**
 * The one door to every provider: `complete` routes a request to the right SDK, bounds calls in
 * flight process-wide, times out each attempt and retries transient failures.
 */
import { Context, Effect, Layer, Option, Redacted, Semaphore } from "effect"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"
import { scrubSecrets, secretValues } from "../config/secrets.ts"
import { type LlmError, MissingApiKeyError, UpstreamError } from "../domain/Errors.ts"
import { makeAnthropic } from "./Anthropic.ts"
import { makeOpenAiCompatible } from "./OpenAiCompatible.ts"
import { openAiBaseUrl, providers } from "./providers.ts"
import { transportSchedule } from "./retry.ts"
import type { CallResult, CompletionRequest, Target } from "./types.ts"

export class LlmClient extends Context.Service<LlmClient, {
  readonly complete: (request: CompletionRequest) => Effect.Effect<CallResult, LlmError>
}>()("llm-batch/LlmClient") {
  static readonly layer = Layer.effect(
    LlmClient,
    Effect.gen(function*() {
      const config = yield* AppConfig
      const inFlight = yield* Semaphore.make(config.llmConcurrency)
      const secrets = secretValues(config)
      const protocols = { openai: makeOpenAiCompatible(), anthropic: makeAnthropic() }
      const schedule = transportSchedule({
        maxRetries: config.llmMaxRetries,
        baseDelayMs: config.llmRetryBaseDelayMs
      })

      // Untraced: it runs once per upstream call, and a span with its stack capture cost about as
      // much CPU as the rest of this wrapper (README, Performance).
      const complete = Effect.fnUntraced(function*(request: CompletionRequest) {
        const target = yield* resolveTarget(config, request)
        const call = protocols[providers[request.model.provider].protocol]
        let attempts = 0
        // Each attempt is bounded by the SDK's own timeout (LLM_TIMEOUT_MS, `target.timeoutMs`),
        // which covers the whole response; a second timer here would only cost time.
        const attempt = Effect.suspend(() => {
          attempts += 1
          return call(request, target)
        }).pipe(
          // A permit per attempt: backoff sleeps do not hold a slot.
          inFlight.withPermit
        )
        return yield* attempt.pipe(
          Effect.retry(schedule),
          Effect.map((completion): CallResult => ({ completion, attempts })),
          Effect.mapError((error) => error._tag === "UpstreamError" ? finalError(error, attempts, secrets) : error)
        )
      })

      return LlmClient.of({ complete })
    })
  )
}

/** The final error: its attempt count, and a message with no secret in it. */
const finalError = (error: UpstreamError, attempts: number, secrets: ReadonlyArray<string>) =>
  new UpstreamError({
    provider: error.provider,
    message: scrubSecrets(error.message, secrets),
    retryable: error.retryable,
    attempts,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs })
  })

const originOf = (url: string): string | undefined => URL.canParse(url) ? new URL(url).origin : undefined

/**
 * Where a call goes and with which key. A per-question `api_base` only receives the server's key
 * when it points at the provider's configured origin or an allow-listed one: a caller must not
 * be able to send our keys to a server of theirs.
 */
const resolveTarget = (config: AppConfigShape, request: CompletionRequest) => {
  const { provider } = request.model
  const settings = config.providers[provider]
  const base = request.apiBase ?? settings.baseUrl
  const trusted = request.apiBase === undefined ||
    originOf(request.apiBase) === originOf(settings.baseUrl) ||
    config.allowedApiBases.includes(originOf(request.apiBase) ?? "")
  const baseUrl = providers[provider].protocol === "openai" ? openAiBaseUrl(provider, base) : base
  const target = (apiKey: string | undefined): Target => ({ baseUrl, apiKey, timeoutMs: config.llmTimeoutMs })
  if (!trusted) return Effect.succeed(target(undefined))
  if (Option.isSome(settings.apiKey)) return Effect.succeed(target(Redacted.value(settings.apiKey.value)))
  if (settings.keyVariable === undefined) return Effect.succeed(target(undefined))
  return Effect.fail(new MissingApiKeyError({ provider, variable: settings.keyVariable }))
}
