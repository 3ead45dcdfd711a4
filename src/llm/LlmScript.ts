/**
 * A scripted stand-in for the providers, behind `LlmClient.layerTest`: tests of the engine run in
 * memory, under `TestClock`, with no socket. Rules are keyed by the question (the first user
 * message, as sent after substitution), like the fake upstream's; every call is recorded with its
 * request, the clock time it started and how it ended, and calls in flight are counted.
 */
import { Cause, Clock, type Duration, Effect } from "effect"
import type { Usage } from "../domain/Batch.ts"
import { type FailureReason, type RefusableParameter, UpstreamError } from "../domain/Errors.ts"
import { reasonOfStatus } from "./adapter.ts"
import { CurrentCall } from "./callAccount.ts"
import type { CallResult, CompletionRequest } from "./types.ts"

export interface ScriptStep {
  /** The answer (default `answer to: <question>`). */
  readonly text?: string
  /** Default `{ prompt_tokens: 10, completion_tokens: 5 }`, as the fake upstream reports. */
  readonly usage?: Usage | null
  /** Default `stop`; `length` is a truncated answer. */
  readonly finishReason?: string | null
  readonly confidence?: number | null
  /** Fail with an `UpstreamError` instead of answering, as the real client does once its retries give up. */
  readonly fail?: {
    readonly status?: number
    readonly message?: string
    /** Default: what the status says on its own (adapter.ts `reasonOfStatus`; 500 without one). */
    readonly reason?: FailureReason
    readonly parameter?: RefusableParameter
  }
  /** Answer after this long: an `Effect.sleep`, so `TestClock.adjust` drives it. */
  readonly delay?: Duration.Input
  /** Never answer; the call ends only when it is interrupted. */
  readonly never?: boolean
  /** Upstream attempts this call stands for, transport retries included (default 1). */
  readonly attempts?: number
}

export interface ScriptedCall {
  /** The first user message: the question as sent, placeholders substituted. */
  readonly prompt: string
  readonly request: CompletionRequest
  /** Clock time (the `TestClock`'s under `it.effect`) when the call started. */
  readonly startedAt: number
  state: "running" | "answered" | "failed" | "interrupted"
}

interface Rule {
  readonly match: string
  readonly steps: Array<ScriptStep>
  /** Repeat the step forever. */
  readonly always: boolean
}

const questionOf = (request: CompletionRequest): string =>
  request.messages.find((message) => message.role === "user")?.content ?? ""

export class LlmScript {
  readonly calls: Array<ScriptedCall> = []
  inFlight = 0
  peakInFlight = 0
  private readonly rules: Array<Rule> = []

  /** The next calls whose question contains `match` get these steps, in order. */
  script(match: string, ...steps: ReadonlyArray<ScriptStep>): this {
    this.rules.push({ match, steps: [...steps], always: false })
    return this
  }

  /** Every call whose question contains `match` gets this step. */
  always(match: string, step: ScriptStep): this {
    this.rules.push({ match, steps: [step], always: true })
    return this
  }

  callsFor(match: string): ReadonlyArray<ScriptedCall> {
    return this.calls.filter((call) => call.prompt.includes(match))
  }

  /** `LlmClient.complete`: one recorded call, its attempts counted on `CurrentCall` as it starts. */
  readonly complete = (request: CompletionRequest): Effect.Effect<CallResult, UpstreamError> =>
    Effect.gen({ self: this }, function*() {
      const prompt = questionOf(request)
      const step = this.nextStep(prompt)
      const attempts = step.attempts ?? 1
      const call: ScriptedCall = { prompt, request, startedAt: yield* Clock.currentTimeMillis, state: "running" }
      this.calls.push(call)
      const account = yield* CurrentCall
      account.attempts += attempts
      this.inFlight += 1
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight)
      return yield* this.answer(request, step, attempts).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            this.inFlight -= 1
            call.state = exit._tag === "Success" ? "answered" : Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "failed"
          })
        )
      )
    })

  private answer(request: CompletionRequest, step: ScriptStep, attempts: number): Effect.Effect<CallResult, UpstreamError> {
    if (step.never === true) return Effect.never
    const { provider } = request.model
    const reply = step.fail === undefined
      ? Effect.succeed<CallResult>({
        completion: {
          text: step.text ?? `answer to: ${questionOf(request)}`,
          usage: step.usage === undefined ? { prompt_tokens: 10, completion_tokens: 5 } : step.usage,
          finishReason: step.finishReason === undefined ? "stop" : step.finishReason,
          confidence: step.confidence ?? null
        },
        attempts
      })
      : Effect.fail(
        new UpstreamError({
          provider,
          message: step.fail.message ?? `${provider} answered HTTP ${step.fail.status ?? 500} (scripted)`,
          reason: step.fail.reason ?? reasonOfStatus(step.fail.status ?? 500),
          ...(step.fail.parameter === undefined ? {} : { parameter: step.fail.parameter }),
          attempts,
          ...(step.fail.status === undefined ? {} : { status: step.fail.status })
        })
      )
    return step.delay === undefined ? reply : Effect.delay(reply, step.delay)
  }

  private nextStep(prompt: string): ScriptStep {
    const rule = this.rules.find((candidate) => candidate.steps.length > 0 && prompt.includes(candidate.match))
    if (rule === undefined) return {}
    return rule.always ? rule.steps[0]! : rule.steps.shift()!
  }
}
