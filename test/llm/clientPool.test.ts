import { describe, expect, it } from "@effect/vitest"
import { ClientPool, maxClients } from "../../src/llm/clientPool.ts"

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

  it("keeps at most maxClients, however many distinct bases callers send, dropping the least recently used", () => {
    let built = 0
    const pool = new ClientPool(() => ({ id: ++built }))
    const target = { baseUrl: "", apiKey: undefined, timeoutMs: 1000, trusted: false, publicOnly: true, baseSetting: "api_base" }
    const configured = pool.get("openai", { ...target, baseUrl: "https://api.openai.com/v1" })
    for (let n = 0; n < 10_000; n++) {
      pool.get("openai", { ...target, baseUrl: `https://caller-${n}.example/v1` })
      // The configured base is in use all along: it stays.
      if (n % 100 === 0) expect(pool.get("openai", { ...target, baseUrl: "https://api.openai.com/v1" })).toBe(configured)
      expect(pool.size).toBeLessThanOrEqual(maxClients)
    }
    expect(pool.size).toBe(maxClients)
    expect(built).toBe(10_001)
    // An evicted base gets a new client when it comes back.
    expect(pool.get("openai", { ...target, baseUrl: "https://caller-0.example/v1" }).id).toBe(10_002)
  })
})
