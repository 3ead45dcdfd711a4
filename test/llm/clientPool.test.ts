import { describe, expect, it } from "@effect/vitest"
import { ClientPool } from "../../src/llm/clientPool.ts"

describe("ClientPool", () => {
  it("builds one client per (provider, base URL, key, address guard) and reuses it", () => {
    let built = 0
    const pool = new ClientPool(() => ({ id: ++built }))
    const target = { baseUrl: "http://a/v1", apiKey: "k1", timeoutMs: 1000, trusted: true, publicOnly: false, baseSetting: "OPENAI_BASE_URL" }
    const first = pool.get("openai", target)
    expect(pool.get("openai", { ...target })).toBe(first)
    expect(pool.get("openai", { ...target, apiKey: "k2" })).not.toBe(first)
    expect(pool.get("openai", { ...target, baseUrl: "http://b/v1" })).not.toBe(first)
    expect(pool.get("groq", target)).not.toBe(first)
    expect(pool.get("openai", { ...target, apiKey: undefined })).not.toBe(first)
    expect(pool.get("openai", { ...target, publicOnly: true })).not.toBe(first)
    expect(built).toBe(6)
    expect(pool.size).toBe(6)
  })
})
