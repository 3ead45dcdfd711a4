import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { cacheKey, canonicalJson, decodeCompletion, encodeCompletion } from "../../src/cache/key.ts"
import type { Completion, CompletionRequest } from "../../src/llm/types.ts"

const base: CompletionRequest = {
  model: { provider: "openai", name: "gpt-4o-mini" },
  messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }],
  temperature: 0.2,
  maxTokens: 1000
}
const baseUrl = "https://api.openai.com/v1"

describe("cache keys", () => {
  it("are a versioned SHA-256 that holds no prompt text", () => {
    const key = cacheKey(base, baseUrl)
    expect(key).toMatch(/^v1:[0-9a-f]{64}$/)
    expect(cacheKey({ ...base }, baseUrl)).toBe(key)
  })

  it("change with every ingredient of the answer", () => {
    const variants: ReadonlyArray<CompletionRequest> = [
      { ...base, model: { provider: "groq", name: "gpt-4o-mini" } },
      { ...base, model: { provider: "openai", name: "gpt-4o" } },
      { ...base, messages: [{ role: "user", content: "hello" }] },
      { ...base, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello!" }] },
      { ...base, messages: [{ role: "user", content: "be brief" }, { role: "user", content: "hello" }] },
      { ...base, temperature: 0.3 },
      { ...base, maxTokens: 999 },
      { ...base, topP: 0.9 },
      { ...base, stop: ["END"] },
      { ...base, seed: 1 },
      { ...base, apiBase: "https://elsewhere.example/v1" }
    ]
    const keys = new Set([cacheKey(base, baseUrl), ...variants.map((v) => cacheKey(v, v.apiBase ?? baseUrl))])
    expect(keys.size).toBe(variants.length + 1)
    expect(cacheKey(base, "https://proxy.example/v1")).not.toBe(cacheKey(base, baseUrl))
  })

  it("change with the response format (the schema a structured answer must match)", () => {
    const withFormat: CompletionRequest = { ...base, responseFormat: { name: "answer", schema: { type: "object" } } }
    const otherSchema: CompletionRequest = { ...base, responseFormat: { name: "answer", schema: { type: "array" } } }
    const otherName: CompletionRequest = { ...base, responseFormat: { name: "reply", schema: { type: "object" } } }
    const keys = new Set([base, withFormat, otherSchema, otherName].map((request) => cacheKey(request, baseUrl)))
    expect(keys.size).toBe(4)
  })

  it("include request fields added later without a change to the key code", () => {
    const future = { ...base, reasoningEffort: "high" }
    expect(cacheKey(future, baseUrl)).not.toBe(cacheKey(base, baseUrl))
  })

  it("ignore the cache flag, unset optional fields and the order of object keys", () => {
    const key = cacheKey(base, baseUrl)
    expect(cacheKey({ ...base, cache: true }, baseUrl)).toBe(key)
    expect(cacheKey({ ...base, cache: false }, baseUrl)).toBe(key)
    expect(cacheKey({ ...base, topP: undefined, seed: undefined }, baseUrl)).toBe(key)
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }))
  })
})

describe("stored values", () => {
  const completion: Completion = {
    text: "Paris",
    usage: { prompt_tokens: 10, completion_tokens: 5 },
    finishReason: "stop",
    confidence: 0.9
  }

  it("round-trip the normalized completion", () => {
    expect(decodeCompletion(encodeCompletion(completion))).toEqual(Option.some(completion))
    expect(JSON.parse(encodeCompletion(completion))).toEqual(completion)
  })

  it("read as a miss when absent, corrupt or of another shape", () => {
    expect(decodeCompletion(null)).toEqual(Option.none())
    expect(decodeCompletion("{not json")).toEqual(Option.none())
    expect(decodeCompletion(JSON.stringify({ choices: [{ message: { content: "Paris" } }] }))).toEqual(Option.none())
  })
})
