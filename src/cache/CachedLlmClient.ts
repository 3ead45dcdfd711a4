/**
 * The cache as a decorator of `LlmClient.complete`: callers (the answer and repair loop) stay
 * unaware of it. A call is answered from the cache when it can; identical calls in flight at the
 * same time share one upstream call (single flight); only successful answers are stored.
 */
import { Deferred, Effect, Fiber, Layer, Option } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import type { LlmError } from "../domain/Errors.ts"
import { LlmClient } from "../llm/LlmClient.ts"
import { baseUrlFor } from "../llm/providers.ts"
import type { CallResult, CompletionRequest } from "../llm/types.ts"
import { recordCacheLookup } from "../observability/metrics.ts"
import { Cache } from "./Cache.ts"
import { type CacheKey, cacheKey } from "./key.ts"

interface Flight {
  readonly result: Deferred.Deferred<CallResult, LlmError>
  /** Callers still waiting; when the last one is interrupted the upstream call is too. */
  waiters: number
  fiber: Fiber.Fiber<CallResult, LlmError> | undefined
}

/** What a caller that joined someone else's flight gets: the answer, and no upstream call of its own. */
const asShared = (result: CallResult): CallResult => ({ completion: result.completion, attempts: 0, cached: true })

/** Decorates the `LlmClient` below it; provide `LlmClient.layer` and a `Cache` layer. */
export const layer = Layer.effect(
  LlmClient,
  Effect.gen(function*() {
    const upstream = yield* LlmClient
    const cache = yield* Cache
    const config = yield* AppConfig
    // Shared calls run in the layer's scope, not in the fiber of whichever caller came first.
    const scope = yield* Effect.scope
    const flights = new Map<CacheKey, Flight>()
    const callAndStore = (key: CacheKey, request: CompletionRequest) =>
      upstream.complete(request).pipe(
        Effect.tap((result) => cache.set(key, result.completion)),
        Effect.map((result): CallResult => ({ ...result, cached: false }))
      )

    const leave = (key: CacheKey, flight: Flight) =>
      Effect.suspend(() => {
        flight.waiters -= 1
        if (flight.waiters > 0) return Effect.void
        if (flights.get(key) === flight) flights.delete(key)
        return flight.fiber === undefined ? Effect.void : Fiber.interrupt(flight.fiber)
      })

    /** Joins the flight for `key`, starting it if none is in the air. */
    const shared = (key: CacheKey, request: CompletionRequest) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          // Look up and register without yielding in between: no other fiber can slip in.
          const existing = flights.get(key)
          const flight: Flight = existing ?? { result: Deferred.makeUnsafe(), waiters: 0, fiber: undefined }
          flight.waiters += 1
          recordCacheLookup(existing === undefined ? "miss" : "shared")
          if (existing === undefined) {
            flights.set(key, flight)
            flight.fiber = yield* callAndStore(key, request).pipe(
              Effect.onExit((exit) =>
                Effect.andThen(
                  Effect.sync(() => {
                    if (flights.get(key) === flight) flights.delete(key)
                  }),
                  Deferred.done(flight.result, exit)
                )
              ),
              Effect.forkIn(scope)
            )
          }
          const result = yield* restore(Deferred.await(flight.result)).pipe(
            Effect.onInterrupt(() => leave(key, flight))
          )
          return existing === undefined ? result : asShared(result)
        })
      )

    const complete = Effect.fnUntraced(function*(request: CompletionRequest) {
      if (request.cache === false) return yield* upstream.complete(request)
      // Keyed on where the call goes, as the client computes it: another server answers differently.
      const key = cacheKey(request, baseUrlFor(config, request))
      // Hits skip the flight machinery. Identical misses meet in the flight, so they share one
      // call unless one's whole upstream call fits inside the other's cache lookup.
      const stored = yield* cache.get(key)
      if (Option.isSome(stored)) {
        recordCacheLookup("hit")
        return { completion: stored.value, attempts: 0, cached: true }
      }
      return yield* shared(key, request)
    })

    return LlmClient.of({ complete })
  })
)
