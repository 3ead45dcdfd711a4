/**
 * Shared rate limits (RATE_LIMITS). Before each upstream attempt a call waits for its turn: a
 * request (rpm) and its tokens (tpm: prompt estimate + max_tokens); after it, the tokens are
 * reconciled with the real usage. effect's `RateLimiter` keeps the token buckets, per process in
 * memory or in Redis shared by every replica, and its adaptive state turns a 429's Retry-After seen
 * by one replica into a pause of that model for all of them. Waiting never fails a call, and
 * interrupting a waiting call (the batch deadline) gives its reservation back.
 */
import { Context, Deferred, Duration, Effect, Exit, Glob, Layer, Option, Result, Semaphore } from "effect"
import { RateLimiter } from "effect/persistence"
import { AppConfig } from "../config/AppConfig.ts"
import type { RateLimitRule } from "../config/rateLimits.ts"
import { recordRateLimitWait } from "../observability/metrics.ts"
import type { FailureReason } from "../domain/Errors.ts"

/** One upstream attempt, as the limits see it. */
export interface LimitedCall {
  /** `provider/model`. */
  readonly model: string
  /** The prompt's estimated tokens (`estimatePromptTokens`). */
  readonly promptTokens: number
  readonly maxTokens: number
}

/** How an attempt ended: its real token usage, or the upstream's refusal. */
export type CallOutcome =
  | { readonly _tag: "Answered"; readonly usedTokens: number | undefined }
  | { readonly _tag: "Failed"; readonly reason: FailureReason | undefined; readonly retryAfterMs: number | undefined }

/** A reserved turn; `settle` reconciles it once the attempt is over. */
export interface Permit {
  readonly settle: (outcome: CallOutcome) => Effect.Effect<void>
}

/** About four characters a token: an estimate only, since the usage reconciles it after the call. */
export const estimatePromptTokens = (texts: ReadonlyArray<string>): number =>
  Math.ceil(texts.reduce((chars, text) => chars + text.length, 0) / 4)

/** Every limit is per minute: rpm and tpm are what providers publish. */
const perMinute = Duration.minutes(1)

/** Longest a token waiter sleeps before asking again: other replicas' give-backs are not announced. */
const pollMs = 1_000

interface Bucket {
  /** Store key: the kind and the glob, so every replica with the same rule shares it. */
  readonly key: string
  readonly label: string
  readonly limit: number
  /** tpm: one waiter per process asks the store at a time (the others queue here, in order). */
  readonly gate: Semaphore.Semaphore
  /** tpm: completed when tokens are given back here, so the waiter asks again at once. */
  changed: Deferred.Deferred<void>
}

const makeBucket = (kind: "rpm" | "tpm", glob: string, limit: number): Bucket => ({
  key: `${kind}:${glob}`,
  label: `${kind} ${limit} of ${glob}`,
  limit,
  gate: Semaphore.makeUnsafe(1),
  changed: Deferred.makeUnsafe<void>()
})

const unlimited: Permit = { settle: () => Effect.void }
const noLimits = Effect.succeed(unlimited)

/** Models whose matching rules are remembered. */
const maxRememberedModels = 1_000

/**
 * Builds the service over whichever store is provided (memory, Redis, or Redis with a memory
 * fallback). `window` is a minute; tests on real time shrink it so rpm and tpm scale with it.
 */
const make = Effect.fnUntraced(function*(rules: ReadonlyArray<RateLimitRule>, window: Duration.Duration = perMinute) {
  const limiter = yield* RateLimiter.make
  const compiled = rules.map((rule) => ({
    glob: Glob.make(rule.model, { dot: true }),
    rpm: rule.rpm === undefined ? undefined : makeBucket("rpm", rule.model, rule.rpm),
    tpm: rule.tpm === undefined ? undefined : makeBucket("tpm", rule.model, rule.tpm)
  }))
  // Every matching rule applies: `openai/*` can cap a provider while `openai/gpt-4o` caps one model.
  // Matched once per model: acquire runs before every upstream attempt.
  const matches = new Map<string, { readonly matched: boolean; readonly rpm: Array<Bucket>; readonly tpm: Array<Bucket> }>()
  const bucketsFor = (model: string) => {
    let found = matches.get(model)
    if (found === undefined) {
      const matching = compiled.filter((rule) => Glob.match(rule.glob, model))
      found = {
        matched: matching.length > 0,
        rpm: matching.flatMap((rule) => rule.rpm === undefined ? [] : [rule.rpm]),
        tpm: matching.flatMap((rule) => rule.tpm === undefined ? [] : [rule.tpm])
      }
      // Model names come from callers: past this many, the rest are matched on every call instead.
      if (matches.size < maxRememberedModels) matches.set(model, found)
    }
    return found
  }

  const consume = (bucket: Bucket, tokens: number, onExceeded: "delay" | "fail") =>
    limiter.consume({ algorithm: "token-bucket", onExceeded, window, limit: bucket.limit, key: bucket.key, tokens })

  /** A store that cannot answer must not fail the question: the call goes on unlimited, and says so. */
  const orUnlimited = (what: string) =>
  <A>(effect: Effect.Effect<A, RateLimiter.RateLimiterError>): Effect.Effect<Option.Option<A>> =>
    effect.pipe(
      Effect.map(Option.some),
      Effect.catch((error) =>
        Effect.logWarning(`rate limits: could not ${what} (${error.message}); the call goes on without it`).pipe(
          Effect.as(Option.none<A>())
        )
      )
    )

  const wake = (bucket: Bucket) =>
    Effect.sync(() => {
      const waiting = bucket.changed
      bucket.changed = Deferred.makeUnsafe<void>()
      Deferred.doneUnsafe(waiting, Exit.void)
    })

  /** Puts tokens back, never above the bucket's size (the store does not cap a refund). */
  const giveBack = (bucket: Bucket, tokens: number) =>
    tokens <= 0 ? Effect.void : consume(bucket, -tokens, "delay").pipe(
      Effect.flatMap(({ remaining }) =>
        remaining > bucket.limit ? consume(bucket, remaining - bucket.limit, "delay") : Effect.void
      ),
      orUnlimited(`give back to ${bucket.label}`),
      Effect.andThen(wake(bucket))
    )

  /** Waits out a 429 pause of this model (any replica's); the epoch ties later feedback to this state. */
  const cooldown = (call: LimitedCall, fallbackLimit: number) =>
    Effect.gen(function*() {
      while (true) {
        const state = yield* limiter.adaptiveConsume({
          key: `model:${call.model}`,
          tokens: 1,
          fallbackLimit,
          fallbackWindow: window
        }).pipe(orUnlimited(`read the 429 state of ${call.model}`))
        if (Option.isNone(state)) return 0
        if (Duration.isZero(state.value.delay)) return state.value.epoch
        yield* Effect.logDebug(
          `rate limits: ${call.model} waits ${Duration.toMillis(state.value.delay)} ms (${
            state.value.phase === "cooldown" ? "paused by a 429's Retry-After" : "a rate learned from 429s"
          })`
        )
        recordRateLimitWait(call.model, "cooldown", Duration.toSeconds(state.value.delay))
        yield* Effect.sleep(state.value.delay)
        // A learned rate's delay was this call's turn; a pause may have been extended meanwhile.
        if (state.value.phase !== "cooldown") return state.value.epoch
      }
    })

  /** One request from each rpm bucket, in arrival order (the store queues by delay). */
  const takeRequests = (call: LimitedCall, buckets: ReadonlyArray<Bucket>) =>
    Effect.gen(function*() {
      const taken = yield* Effect.forEach(buckets, (bucket) => consume(bucket, 1, "delay").pipe(orUnlimited(`ask ${bucket.label}`)))
      return taken.reduce((longest, result) =>
        Option.isSome(result) ? Duration.max(longest, result.value.delay) : longest, Duration.zero)
    })

  /** The call's tokens from one tpm bucket: it waits until they are there (no debt, so give-backs help). */
  const takeTokens = (call: LimitedCall, bucket: Bucket, tokens: number) =>
    bucket.gate.withPermit(Effect.gen(function*() {
      while (true) {
        const changed = bucket.changed
        const taken = yield* Effect.result(consume(bucket, tokens, "fail"))
        if (Result.isSuccess(taken)) return
        const reason = taken.failure.reason
        if (reason._tag !== "RateLimitExceeded") {
          return yield* Effect.logWarning(
            `rate limits: could not ask ${bucket.label} (${reason.message}); the call goes on without it`
          )
        }
        const waitMs = Math.min(Duration.toMillis(reason.retryAfter), pollMs)
        yield* Effect.logDebug(`rate limits: ${call.model} waits for ${tokens} tokens (${bucket.label})`)
        const waitStarted = performance.now()
        yield* Effect.raceFirst(Effect.sleep(Duration.millis(waitMs)), Deferred.await(changed))
        recordRateLimitWait(call.model, "tokens", (performance.now() - waitStarted) / 1000)
      }
    }))

  const permit = (call: LimitedCall, epoch: number, held: ReadonlyArray<readonly [Bucket, number]>): Permit => ({
    settle: (outcome) =>
      Effect.gen(function*() {
        if (outcome._tag === "Failed") {
          if (outcome.reason === "rate_limited" && outcome.retryAfterMs !== undefined) {
            yield* limiter.adaptiveFeedback({
              key: `model:${call.model}`,
              epoch,
              tokens: 1,
              status: 429,
              retryAfter: Duration.millis(outcome.retryAfterMs)
            }).pipe(orUnlimited(`share the 429 of ${call.model}`))
          }
          // No answer was written: the max_tokens part goes back, the prompt estimate stays.
          yield* Effect.forEach(held, ([bucket, reserved]) => giveBack(bucket, reserved - Math.min(call.promptTokens, reserved)))
          return
        }
        const used = outcome.usedTokens
        if (used === undefined) return
        yield* Effect.forEach(held, ([bucket, reserved]) =>
          used < reserved
            ? giveBack(bucket, reserved - used)
            : used > reserved
            ? consume(bucket, used - reserved, "delay").pipe(orUnlimited(`charge ${bucket.label}`))
            : Effect.void)
      }).pipe(Effect.asVoid)
  })

  const acquire = (call: LimitedCall): Effect.Effect<Permit> => {
    if (compiled.length === 0) return noLimits
    const buckets = bucketsFor(call.model)
    if (!buckets.matched) return noLimits
    return Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const epoch = yield* restore(cooldown(call, buckets.rpm[0]?.limit ?? Number.MAX_SAFE_INTEGER))
        const held: Array<readonly [Bucket, number]> = []
        // Interrupted while waiting (the batch deadline): nothing was sent, so everything goes back.
        const refund = Effect.forEach(buckets.rpm, (bucket) => giveBack(bucket, 1)).pipe(
          Effect.andThen(Effect.forEach(held, ([bucket, tokens]) => giveBack(bucket, tokens)))
        )
        const delay = yield* takeRequests(call, buckets.rpm)
        if (!Duration.isZero(delay)) {
          yield* Effect.logDebug(`rate limits: ${call.model} waits ${Duration.toMillis(delay)} ms for its request turn`)
          recordRateLimitWait(call.model, "requests", Duration.toSeconds(delay))
          yield* restore(Effect.sleep(delay)).pipe(Effect.onInterrupt(() => refund))
        }
        for (const bucket of buckets.tpm) {
          const tokens = Math.min(call.promptTokens + call.maxTokens, bucket.limit)
          yield* restore(takeTokens(call, bucket, tokens)).pipe(Effect.onInterrupt(() => refund))
          held.push([bucket, tokens])
        }
        return permit(call, epoch, held)
      })
    )
  }

  return RateLimits.of({ acquire })
})

export class RateLimits extends Context.Service<RateLimits, {
  /** Waits until the call's model has room (never fails) and reserves it; settle the permit after the call. */
  readonly acquire: (call: LimitedCall) => Effect.Effect<Permit>
}>()("llm-batch/RateLimits") {
  /** The service over the `RateLimiterStore` provided (tests pick the store and the rules). */
  static readonly make = make

  /** Limits held by this process alone. */
  static readonly layerMemory = Layer.effect(
    RateLimits,
    Effect.gen(function*() {
      const { rateLimits } = yield* AppConfig
      if (rateLimits.length > 0) {
        yield* Effect.logInfo(
          `rate limits: ${describeRules(rateLimits)}, held per process (set REDIS_URL to share them across replicas)`
        )
      }
      return yield* make(rateLimits)
    })
  ).pipe(Layer.provide(RateLimiter.layerStoreMemory))

  /** Limits shared through Redis by every process with the same REDIS_URL and CACHE_KEY_PREFIX. */
  static readonly layerRedis = Layer.effect(
    RateLimits,
    Effect.gen(function*() {
      const { rateLimits, cache } = yield* AppConfig
      if (Option.isNone(cache.redisUrl)) {
        return yield* Effect.die(new Error("RateLimits.layerRedis needs REDIS_URL; use RateLimits.layer to choose"))
      }
      // Loaded only when configured, like the Redis cache.
      const { makeSharedStore } = yield* Effect.promise(() => import("./redisStore.ts"))
      const store = yield* makeSharedStore({
        url: cache.redisUrl.value,
        keyPrefix: `${cache.keyPrefix}ratelimit:`,
        timeoutMs: cache.redisTimeoutMs
      })
      yield* Effect.logInfo(`rate limits: ${describeRules(rateLimits)}`)
      return yield* make(rateLimits).pipe(Effect.provideService(RateLimiter.RateLimiterStore, store))
    })
  )

  /** Redis when REDIS_URL is set and there are rules to share; otherwise memory (no rules: no limits). */
  static readonly layer = Layer.unwrap(
    Effect.gen(function*() {
      const { rateLimits, cache } = yield* AppConfig
      return rateLimits.length > 0 && Option.isSome(cache.redisUrl) ? RateLimits.layerRedis : RateLimits.layerMemory
    })
  )
}

const describeRules = (rules: ReadonlyArray<RateLimitRule>): string =>
  rules.map((rule) =>
    [rule.model, rule.rpm === undefined ? "" : `rpm ${rule.rpm}`, rule.tpm === undefined ? "" : `tpm ${rule.tpm}`]
      .filter((part) => part !== "").join(" ")
  ).join("; ")
