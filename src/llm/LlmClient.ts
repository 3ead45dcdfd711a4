/**
 * The one door to every provider: `complete` routes a request to the right SDK, waits for the
 * model's rate limits (RATE_LIMITS), bounds calls in flight process-wide (shared fairly between
 * batches), times out each attempt and retries transient failures.
 */
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"
import { redactSecretValues, scrubSecrets, secretValues } from "../config/secrets.ts"
import { type LlmError, MissingApiKeyError, UpstreamError } from "../domain/Errors.ts"
import { modelId, type Protocol, providers } from "../domain/providers.ts"
import { type CallOutcome, estimatePromptTokens, RateLimits } from "../gateway/rateLimits.ts"
import { observeAttempt } from "../observability/spans.ts"
import type { Transport } from "./adapter.ts"
import { adapters } from "./adapters.ts"
import { internalHost } from "./addressGuard.ts"
import { type CallAccount, CurrentCall } from "./callAccount.ts"
import { LaneRoute, type LaneRouteShape } from "./laneRoute.ts"
import type { LlmScript } from "./LlmScript.ts"
import { baseUrlFor } from "./providers.ts"
import { retryAfterCapMs, retryAfterFailure, transportSchedule } from "./retry.ts"
import { FairSlots } from "./slots.ts"
import type { CallResult, Completion, CompletionRequest, Target } from "./types.ts"

export class LlmClient extends Context.Service<LlmClient, {
  readonly complete: (request: CompletionRequest) => Effect.Effect<CallResult, LlmError>
}>()("llm-batch/LlmClient") {
  static readonly layer = Layer.effect(
    LlmClient,
    Effect.gen(function*() {
      const config = yield* AppConfig
      const limits = yield* RateLimits
      // LLM_CONCURRENCY slots, shared fairly between batches, each capped at BATCH_CONCURRENCY.
      const slots = new FairSlots(config.llmConcurrency, config.batchConcurrency)
      const secrets = secretValues(config)
      const fetchOptions = { maxResponseBytes: config.maxUpstreamResponseBytes }
      const transports: Record<Protocol, Transport> = {
        openai: adapters.openai.makeTransport(fetchOptions),
        anthropic: adapters.anthropic.makeTransport(fetchOptions)
      }
      const schedule = transportSchedule({
        maxRetries: config.llmMaxRetries,
        baseDelayMs: config.llmRetryBaseDelayMs
      })

      // Untraced: it runs once per upstream call, and a span with its stack capture cost about as
      // much CPU as the rest of this wrapper (docs/performance.md).
      const complete = Effect.fnUntraced(function*(request: CompletionRequest) {
        const target = yield* resolveTarget(config, request)
        const call = transports[providers[request.model.provider].protocol]
        const account = yield* CurrentCall
        const route = yield* LaneRoute
        if (route !== undefined && account.index !== undefined && route.takes(request, target)) {
          return yield* laneCall(route, request, target, account, account.index)
        }
        let attempts = 0
        const limited = {
          model: modelId(request.model),
          promptTokens: estimatePromptTokens(request.messages.map((message) => message.content)),
          maxTokens: request.maxTokens
        }
        // Each attempt is bounded by the SDK's own timeout (LLM_TIMEOUT_MS, `target.timeoutMs`),
        // which covers the whole response; a second timer here would only cost time.
        // A slot per attempt: backoff sleeps do not hold one, nor do rate-limit waits (taken first).
        const attempt = Effect.flatMap(limits.acquire(limited), (permit) =>
          slots.withPermit(
            account.batch,
            Effect.suspend(() => {
              attempts += 1
              account.attempts += 1
              return observeAttempt(request, call(request, target))
            })
          ).pipe(
            Effect.tap((completion) => permit.settle(answered(completion))),
            Effect.tapError((error) => permit.settle(failed(error)))
          ))
        return yield* retryAfterFailure(attempt, schedule).pipe(
          Effect.map((completion): CallResult => ({ completion: scrubbedCompletion(completion, secrets), attempts })),
          Effect.mapError((error) => error._tag === "UpstreamError" ? finalError(error, attempts, secrets) : error)
        )
      })

      /**
       * A call as lines of provider batches: no slot or rate-limit turn (a separate quota), the
       * same retries — a line that failed transiently goes in the next batch.
       */
      const laneCall = (
        route: LaneRouteShape,
        request: CompletionRequest,
        target: Target,
        account: CallAccount,
        index: number
      ) => {
        let attempts = 0
        const attempt = Effect.suspend(() => {
          attempts += 1
          account.attempts += 1
          return route.complete(request, target, { index, attempt: account.attempts })
        })
        return retryAfterFailure(attempt, schedule).pipe(
          Effect.map((completion): CallResult => ({ completion: scrubbedCompletion(completion, secrets), attempts, lane: "batch" })),
          Effect.mapError((error) => finalError(error, attempts, secrets))
        )
      }

      return LlmClient.of({ complete })
    })
  )

  /**
   * Answers from a script, in memory (src/llm/LlmScript.ts): engine tests run under `TestClock`
   * with no socket, and read back what was sent. It takes no upstream slots, makes no retries and
   * knows no rate limits.
   */
  static readonly layerTest = (script: LlmScript) => Layer.succeed(LlmClient, LlmClient.of({ complete: script.complete }))
}

const answered = (completion: Completion): CallOutcome => ({
  _tag: "Answered",
  usedTokens: completion.usage === null ? undefined : completion.usage.prompt_tokens + completion.usage.completion_tokens
})

/** A 429's Retry-After pauses the model for every caller, up to the wait the transport retry accepts. */
const failed = (error: LlmError): CallOutcome =>
  error._tag === "UpstreamError"
    ? {
      _tag: "Failed",
      reason: error.reason,
      retryAfterMs: error.retryAfterMs === undefined ? undefined : Math.min(error.retryAfterMs, retryAfterCapMs)
    }
    : { _tag: "Failed", reason: undefined, retryAfterMs: undefined }

/** A model or a proxy may echo a key: the answer (and so the cache) never holds a configured secret. */
const scrubbedCompletion = (completion: Completion, secrets: ReadonlyArray<string>): Completion => {
  const text = redactSecretValues(completion.text, secrets)
  return text === completion.text ? completion : { ...completion, text }
}

/** The final error: its attempt count, and a message with no secret in it. */
const finalError = (error: UpstreamError, attempts: number, secrets: ReadonlyArray<string>) =>
  new UpstreamError({
    provider: error.provider,
    message: scrubSecrets(error.message, secrets),
    reason: error.reason,
    attempts,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.parameter === undefined ? {} : { parameter: error.parameter }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs })
  })

const originOf = (url: string): string | undefined => URL.canParse(url) ? new URL(url).origin : undefined

/**
 * Where a call goes, with which key, and how far it is trusted. A per-question `api_base` only
 * receives the server's key when it points at the provider's configured origin or an allow-listed
 * one: a caller must not be able to send our keys to a server of theirs. It reaches internal
 * addresses only when allow-listed (or with API_BASE_OVERRIDE=any): a caller must not be able to
 * aim the service at its own network, the provider's configured host included (another path there
 * is another endpoint).
 */
export const resolveTarget = (config: AppConfigShape, request: Pick<CompletionRequest, "model" | "apiBase">) => {
  const { provider } = request.model
  const settings = config.providers[provider]
  const baseUrl = baseUrlFor(config, request)
  const origin = request.apiBase === undefined ? undefined : originOf(request.apiBase)
  const allowListed = origin !== undefined && config.allowedApiBases.includes(origin)
  const trusted = request.apiBase === undefined || allowListed ||
    (origin !== undefined && origin === originOf(settings.baseUrl))
  const publicOnly = request.apiBase !== undefined && !allowListed && config.apiBaseOverride !== "any"
  const target = (apiKey: string | undefined): Target => ({
    baseUrl,
    apiKey,
    timeoutMs: config.llmTimeoutMs,
    trusted,
    publicOnly,
    baseSetting: request.apiBase === undefined ? providers[provider].baseUrlVariables[0] : "the question's api_base"
  })
  if (!trusted) return Effect.succeed(target(undefined))
  if (Option.isSome(settings.apiKey)) return Effect.succeed(target(Redacted.value(settings.apiKey.value)))
  if (settings.keyVariable === undefined || isLocalServer(baseUrl)) return Effect.succeed(target(undefined))
  return Effect.fail(new MissingApiKeyError({ provider, variable: settings.keyVariable }))
}

/**
 * A server of the operator's own (vLLM, llama.cpp, LM Studio, a compose service): a loopback or
 * private address, `localhost`, or a one-label name such as `vllm`. It is called without a key
 * when none is set, instead of asking for a dummy one.
 */
const isLocalServer = (base: string): boolean => {
  if (!URL.canParse(base)) return false
  const url = new URL(base)
  return internalHost(url) !== undefined || !/[.:]/.test(url.hostname)
}
