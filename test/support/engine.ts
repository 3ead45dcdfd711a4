/**
 * The batch engine in memory: `runBatch` over `LlmClient.layerTest` and an `AppConfig` read from a
 * map of variables, so engine tests run under `it.effect`'s `TestClock` with no socket.
 */
import { expect } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Schema } from "effect"
import { runBatch, type RunOptions } from "../../src/batch/engine.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { BatchRequest } from "../../src/domain/Batch.ts"
import { loadPriceTable } from "../../src/gateway/prices.ts"
import { LlmClient } from "../../src/llm/LlmClient.ts"
import type { LlmScript } from "../../src/llm/LlmScript.ts"

/** `AppConfig` from these variables only (never `process.env`). */
export const testConfig = (env: Record<string, string> = {}) =>
  AppConfig.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))

/** The price table is loaded first: its first load takes real time, which `until` does not wait for. */
export const engineLayer = (script: LlmScript, env: Record<string, string> = {}) =>
  Layer.mergeAll(testConfig(env), LlmClient.layerTest(script), Layer.effectDiscard(loadPriceTable))

/** Questions as a client writes them, decoded (defaults filled in) as every surface does. */
export const batchOf = (questions: ReadonlyArray<Record<string, unknown>>): BatchRequest =>
  Schema.decodeUnknownSync(BatchRequest)({ questions })

/** Runs a batch against the script. */
export const runScripted = (
  script: LlmScript,
  questions: ReadonlyArray<Record<string, unknown>>,
  options: { readonly env?: Record<string, string>; readonly run?: RunOptions } = {}
) => runBatch(batchOf(questions), options.run).pipe(Effect.provide(engineLayer(script, options.env)))

/**
 * Lets forked fibers run until `ready` holds, without moving the clock: call it before
 * `TestClock.adjust`, whose sleeps must be registered first. Bounded, so a broken engine fails the
 * test instead of hanging it.
 */
export const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    for (let turns = 0; turns < 10_000 && !ready(); turns++) yield* Effect.yieldNow
    expect(ready()).toBe(true)
  })

/** The fiber's outcome, which must be there by now (the clock has passed its last step). */
export const finished = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function*() {
    yield* until(() => fiber.pollUnsafe() !== undefined)
    return yield* Fiber.join(fiber)
  })
