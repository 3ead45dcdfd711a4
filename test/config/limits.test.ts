/**
 * The request limits and the heap, derived one from the other (src/config/limits.ts): defaults
 * that fit the heap, limits set by hand that cannot fit refused at startup, and the JSON value
 * count that bounds what a parse may hold.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { appConfig } from "../../src/config/AppConfig.ts"
import {
  defaultBatchWaiting,
  defaultRequestLimits,
  heapLimitBytes,
  limitsMisfit,
  maxHeapShare,
  requestHeapNeed
} from "../../src/config/limits.ts"
import { jsonValuesIn } from "../../src/domain/jsonValues.ts"

const mebibytes = (n: number) => n * 1024 * 1024
/** `heap_size_limit` under `pnpm start`'s flags (--max-semi-space-size=16 --max-old-space-size=256). */
const shippedHeap = mebibytes(304)

const read = (env: Record<string, string>) => appConfig.parse(ConfigProvider.fromEnv({ env }))

describe("request limits and the heap", () => {
  it("the defaults for the shipped heap fit it, and grow with it up to a ceiling", () => {
    const small = defaultRequestLimits(shippedHeap, 50_000)
    expect(small.maxJobBodyBytes).toBeGreaterThan(mebibytes(20))
    expect(small.maxJobBodyBytes).toBeLessThan(mebibytes(32))
    const need = requestHeapNeed({ ...small, maxBodyBytes: mebibytes(2), maxJobSize: 50_000 })
    expect(need).toBeLessThanOrEqual(shippedHeap * maxHeapShare)
    expect(limitsMisfit({ ...small, maxBodyBytes: mebibytes(2), maxJobSize: 50_000 }, shippedHeap)).toBeUndefined()
    const large = defaultRequestLimits(mebibytes(4096), 50_000)
    expect(large.maxJobBodyBytes).toBe(mebibytes(64))
    expect(large.maxJsonValues).toBeGreaterThan(small.maxJsonValues)
  })

  it("more questions per job leave less of the heap to bodies", () => {
    expect(defaultRequestLimits(shippedHeap, 200_000).maxJobBodyBytes)
      .toBeLessThan(defaultRequestLimits(shippedHeap, 50_000).maxJobBodyBytes)
  })

  it("limits that cannot fit the heap say what one request could hold and what to change", () => {
    const misfit = limitsMisfit(
      { maxBodyBytes: mebibytes(2), maxJobBodyBytes: mebibytes(256), maxJsonValues: 500_000, maxJobSize: 50_000 },
      shippedHeap
    )
    expect(misfit).toMatch(/one request hold up to \d+ MiB of heap/)
    expect(misfit).toContain("heap limit of 304 MiB")
    expect(misfit).toContain("MAX_JOB_BODY_BYTES")
    expect(misfit).toContain("--max-old-space-size")
  })

  it.effect("the service refuses to start with such limits", () =>
    Effect.gen(function*() {
      const heap = heapLimitBytes()
      const error = yield* Effect.flip(read({ MAX_JOB_BODY_BYTES: String(Math.ceil(heap)) }))
      expect(String(error)).toContain("more than 60 % of this process's heap limit")
      const values = yield* Effect.flip(read({ MAX_JSON_VALUES: String(Math.ceil(heap / 50)) }))
      expect(String(values)).toContain("MAX_JSON_VALUES")
    }))

  it.effect("unset, MAX_JOB_BODY_BYTES and MAX_JSON_VALUES are derived from this process's heap", () =>
    Effect.gen(function*() {
      const config = yield* read({})
      expect({ maxJobBodyBytes: config.maxJobBodyBytes, maxJsonValues: config.maxJsonValues })
        .toEqual(defaultRequestLimits(heapLimitBytes(), config.jobs.maxJobSize))
      expect((yield* read({ MAX_JOB_BODY_BYTES: "1000", MAX_JSON_VALUES: "99" })).maxJsonValues).toBe(99)
    }))
})

describe("the batch lane's limits", () => {
  it.effect("BATCH_MAX_WAITING comes from the heap, and a batch-lane chunk holds its share per running chunk", () =>
    Effect.gen(function*() {
      expect(defaultBatchWaiting(mebibytes(256))).toBe(Math.floor(mebibytes(256) * 0.4 / 16_384))
      const derived = yield* read({ BATCH_MAX_WAITING: "1000", JOB_CHUNK_CONCURRENCY: "4" })
      expect(derived.jobs.batchLane).toMatchObject({ maxWaiting: 1000, chunkSize: 250 })
      const given = yield* read({ BATCH_MAX_WAITING: "1000", BATCH_CHUNK_SIZE: "700" })
      expect(given.jobs.batchLane.chunkSize).toBe(700)
    }))
})

describe("jsonValuesIn", () => {
  it("counts containers and separators outside strings: an upper bound on the values a parse makes", () => {
    expect(jsonValuesIn("1", 100)).toBe(1)
    expect(jsonValuesIn(`{"a":1,"b":[1,2,3]}`, 100)).toBe(6)
    // Four values; each empty container counts one more than it holds: still a bound.
    expect(jsonValuesIn(`[{},{},{}]`, 100)).toBe(7)
    // Commas, brackets and escaped quotes inside strings are text.
    expect(jsonValuesIn(`["a,b{[", "c\\",d"]`, 100)).toBe(3)
    expect(jsonValuesIn(new TextEncoder().encode(`["é,ü", "€"]`), 100)).toBe(3)
  })

  it("stops counting past the limit", () => {
    expect(jsonValuesIn("[" + "0,".repeat(1_000_000) + "0]", 10)).toBe(11)
  })
})
