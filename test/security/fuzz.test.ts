/**
 * Property tests. A thousand generated bodies — valid batches derived from the request Schema,
 * mutations of them, random JSON and random text — never get a 5xx, and every 4xx is a JSON error.
 * Generated upstream answers — random JSON, shapes near a completion of either protocol, text,
 * with random statuses — never cost a 5xx or a question its ResultItem.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect } from "effect"
import fc from "fast-check"
import { type BatchResponse, QuestionItem } from "../../src/domain/Batch.ts"
import { FakeUpstream, type Step } from "../support/FakeUpstream.ts"
import { modelOf, type Protocol } from "../support/malformedAnswers.ts"
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

/** Marks a field to leave out. */
const omitted = Symbol("omitted")
/** Mostly the valid value, else any JSON, or (rarely) left out. */
const near = <T>(valid: T | fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 16, arbitrary: valid instanceof fc.Arbitrary ? valid : fc.constant(valid) },
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.constant(omitted) }
  )
const nearRecord = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(fields).map((record) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== omitted)))
const nearList = (item: fc.Arbitrary<unknown>) => near(fc.array(item, { minLength: 1, maxLength: 2 }))

const nearCompletion: Record<Protocol, fc.Arbitrary<unknown>> = {
  openai: nearRecord({
    id: near("chatcmpl-fuzz"),
    choices: nearList(nearRecord({
      index: near(0),
      message: near(nearRecord({ role: near("assistant"), content: near("hi") })),
      finish_reason: near("stop"),
      logprobs: near(fc.oneof(
        fc.constant(null),
        nearRecord({ content: nearList(nearRecord({ token: near("hi"), logprob: near(-0.25) })) })
      ))
    })),
    usage: near(nearRecord({ prompt_tokens: near(3), completion_tokens: near(1), total_tokens: near(4) }))
  }),
  anthropic: nearRecord({
    type: near("message"),
    role: near("assistant"),
    content: nearList(fc.oneof(
      nearRecord({ type: near("text"), text: near("hi") }),
      nearRecord({ type: near("thinking"), thinking: near("hmm") })
    )),
    stop_reason: near("end_turn"),
    usage: near(nearRecord({ input_tokens: near(3), output_tokens: near(1) }))
  })
}

/** What the fake answers the fuzzed question: a status from 200 to 599 and a body of some shape. */
const upstreamAnswers = (protocol: Protocol): fc.Arbitrary<Step> => {
  const status = fc.oneof({ weight: 6, arbitrary: fc.constant(200) }, fc.integer({ min: 200, max: 599 }))
  const contentType = fc.constantFrom("application/json", "text/html", "text/plain", "application/problem+json")
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ status, json: nearCompletion[protocol] }) },
    fc.record({ status, json: fc.jsonValue() }),
    fc.tuple(status, nearCompletion[protocol], fc.nat()).map(([status, body, cut]): Step => {
      const text = JSON.stringify(body)
      return { status, raw: text.slice(0, cut % (text.length + 1)) }
    }),
    fc.record({ status, raw: fc.string(), headers: contentType.map((type) => ({ "content-type": type })) })
  )
}

describe("fuzzing upstream answers", () => {
  it.live("300 generated upstream answers never cost a 5xx or a ResultItem, and the good question always answers", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      const cases = fc.sample(
        fc.constantFrom<Protocol>("openai", "anthropic").chain((protocol) =>
          upstreamAnswers(protocol).map((step) => ({ protocol, step }))
        ),
        { numRuns: 300, seed: 13 }
      )
      const outcomes = new Map<string, number>()
      yield* Effect.forEach(cases, ({ protocol, step }, i) =>
        Effect.gen(function*() {
          upstream.always(`fuzz ${i}:`, step)
          const body = {
            questions: [
              { index: 1, question: `good ${i}` },
              { index: 2, question: `fuzz ${i}: answer`, model: modelOf[protocol], validation_strategy: "none" }
            ]
          }
          const answer = yield* server.post("/ask", body)
          const label = JSON.stringify(step).slice(0, 300)
          expect(answer.status, label).toBe(200)
          const [good, fuzzed, ...rest] = (answer.body as BatchResponse).results
          expect(rest, label).toEqual([])
          expect(good, label).toMatchObject({ index: 1, status: "success", result: `answer to: good ${i}` })
          expect(fuzzed?.index, label).toBe(2)
          if (fuzzed?.status === "error") expect(fuzzed.error_message, label).toMatch(/\S/)
          const outcome = fuzzed?.status ?? "missing"
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        }), { concurrency: 8, discard: true })
      // Both outcomes occur, so the generator reaches well-formed answers too.
      expect(outcomes.get("success") ?? 0).toBeGreaterThan(30)
      expect(outcomes.get("error") ?? 0).toBeGreaterThan(100)
    }).pipe(Effect.provide(TestServer.layer({ LLM_MAX_RETRIES: "0" }))), 60_000)
})
