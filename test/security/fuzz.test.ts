/**
 * Property test: a thousand generated bodies — valid batches derived from the request Schema,
 * mutations of them, random JSON and random text — never get a 5xx, and every 4xx is a JSON error.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect } from "effect"
import fc from "fast-check"
import { QuestionItem } from "../../src/domain/Batch.ts"
import { TestServer } from "../support/TestServer.ts"

const fieldNames = Object.keys(QuestionItem.fields)

const bodies = (valid: ReadonlyArray<Record<string, unknown>>) => {
  const item = fc.constantFrom(...valid)
  const batch = fc.array(item, { minLength: 1, maxLength: 4 }).map((questions) => ({ questions }))
  const mutatedItem = fc.tuple(item, fc.constantFrom(...fieldNames, "__proto__", "constructor", "extra"), fc.jsonValue())
    .map(([question, key, value]) => ({ ...question, [key]: value }))
  const withoutField = fc.tuple(item, fc.constantFrom(...fieldNames)).map(([question, key]) => {
    const copy = { ...question }
    delete copy[key]
    return copy
  })
  const text = (value: unknown) => JSON.stringify(value)
  return fc.oneof(
    batch.map(text),
    fc.array(fc.oneof(item, mutatedItem, withoutField), { minLength: 1, maxLength: 4 }).map((questions) =>
      text({ questions })
    ),
    fc.jsonValue().map(text),
    fc.jsonValue().map((value) => text({ questions: value })),
    fc.tuple(batch.map(text), fc.nat()).map(([json, cut]) => json.slice(0, cut % (json.length + 1))),
    fc.string(),
    fc.string().map((s) => `{"questions":[{"index":1,"question":${s}}]}`)
  )
}

describe("fuzzing POST /ask", () => {
  it.live("answers 1,000 generated bodies without a 5xx, every 4xx a JSON error", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const valid = yield* Arbitrary.sampleEffect(Arbitrary.schema(QuestionItem), { count: 200, seed: 7 })
      const samples = fc.sample(bodies(valid.map((v) => ({ ...v }))), { numRuns: 1_000, seed: 42 })
      expect(samples).toHaveLength(1_000)
      const statuses = new Map<number, number>()
      yield* Effect.forEach(samples, (body) =>
        Effect.gen(function*() {
          const answer = yield* server.post("/ask", body)
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          expect(answer.status, body).toBeLessThan(500)
          if (answer.status >= 400) {
            expect(typeof (answer.body as { error?: unknown } | undefined)?.error, body).toBe("string")
          }
        }), { concurrency: 8, discard: true })
      // Both outcomes occur, so the generator is exercising the accepted path too.
      expect(statuses.get(200) ?? 0).toBeGreaterThan(50)
      expect(statuses.get(400) ?? 0).toBeGreaterThan(50)
    }).pipe(Effect.provide(TestServer.layer({ API_BASE_OVERRIDE: "deny", LLM_MAX_RETRIES: "0" }))), 120_000)
})
