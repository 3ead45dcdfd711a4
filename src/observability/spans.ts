/**
 * The engine's spans, made only when an exporter is installed (OTEL_EXPORTER_OTLP_ENDPOINT): a
 * span costs a stack capture and allocations, which the hot path does not pay for nobody
 * (docs/performance.md). Per question and per upstream attempt, with OpenTelemetry's GenAI
 * semantic attributes on the attempt.
 */
import { Effect, type Exit, type Fiber, References, Tracer } from "effect"
import type { ResultItem, Usage } from "../domain/Batch.ts"
import type { LlmError } from "../domain/Errors.ts"
import type { ProviderName, ResolvedModel } from "../domain/providers.ts"
import { answeredLabels, failedLabels, interruptedLabels, recordAttempt } from "./metrics.ts"

/** A span would reach an exporter: tracing is on and a tracer other than effect's built-in one is installed. */
const tracing = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  fiber.getRef(References.TracerEnabled) && fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer

/** `gen_ai.system` as the semantic conventions spell it; our provider name where they have none. */
const genAiSystem: Partial<Record<ProviderName, string>> = {
  gemini: "gcp.gemini",
  mistral: "mistral_ai",
  xai: "xai",
  together_ai: "together_ai",
  fireworks_ai: "fireworks_ai"
}

/** What an attempt's span and metrics need of its request. */
export interface AttemptRequest {
  readonly model: ResolvedModel
  readonly maxTokens: number
  readonly temperature: number
}

/** What an attempt's span and metrics need of its answer. */
export interface AttemptAnswer {
  readonly usage: Usage | null
  readonly finishReason: string | null
}

/**
 * One upstream attempt: counted, timed and its tokens added (metrics.ts), and traced as a `chat`
 * client span when tracing is on.
 */
export const observeAttempt = <A extends AttemptAnswer, E extends LlmError, R>(
  request: AttemptRequest,
  attempt: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const started = performance.now()
    const traced = tracing(fiber)
    const observed = Effect.onExit(attempt, (exit: Exit.Exit<A, E>) => {
      const seconds = (performance.now() - started) / 1000
      if (exit._tag === "Success") {
        recordAttempt(request.model, answeredLabels, seconds, exit.value.usage)
        return traced ? Effect.annotateCurrentSpan(answerAttributes(exit.value)) : Effect.void
      }
      const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
      const labels = failure === undefined ? interruptedLabels : failedLabels(failure.error)
      recordAttempt(request.model, labels, seconds, null)
      return traced ? Effect.annotateCurrentSpan("error.type", labels.status) : Effect.void
    })
    if (!traced) return observed
    return Effect.withSpan(observed, `chat ${request.model.name}`, {
      kind: "client",
      captureStackTrace: false,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": genAiSystem[request.model.provider] ?? request.model.provider,
        "gen_ai.request.model": request.model.name,
        "gen_ai.request.max_tokens": request.maxTokens,
        "gen_ai.request.temperature": request.temperature
      }
    })
  })

const answerAttributes = (answer: AttemptAnswer): Record<string, unknown> => ({
  ...(answer.usage === null ? {} : {
    "gen_ai.usage.input_tokens": answer.usage.prompt_tokens,
    "gen_ai.usage.output_tokens": answer.usage.completion_tokens
  }),
  ...(answer.finishReason === null ? {} : { "gen_ai.response.finish_reasons": [answer.finishReason] })
})

/** A question's span (when tracing is on): its index and requested model, then how it ended. */
export const traceQuestion = <E, R>(
  index: number,
  model: string,
  question: Effect.Effect<ResultItem, E, R>
): Effect.Effect<ResultItem, E, R> =>
  Effect.withFiber((fiber) =>
    tracing(fiber)
      ? Effect.withSpan(
        Effect.tap(question, (result) =>
          Effect.annotateCurrentSpan({
            "llm_batch.question.status": result.status,
            "llm_batch.question.attempts": result.attempts,
            "llm_batch.question.model": result.model
          })),
        "question",
        {
          captureStackTrace: false,
          attributes: { "llm_batch.question.index": index, "gen_ai.request.model": model }
        }
      )
      : question
  )
