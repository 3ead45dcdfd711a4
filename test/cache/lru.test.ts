import { describe, expect, it } from "@effect/vitest"
import { BoundedLru } from "../../src/cache/lru.ts"

describe("BoundedLru", () => {
  it("evicts the least recently used entry beyond maxEntries", () => {
    const lru = new BoundedLru<string>({ maxEntries: 2, maxBytes: 1_000 })
    lru.set("a", "A", 1, Infinity)
    lru.set("b", "B", 1, Infinity)
    expect(lru.get("a", 0)).toBe("A")
    lru.set("c", "C", 1, Infinity)
    expect([lru.get("a", 0), lru.get("b", 0), lru.get("c", 0)]).toEqual(["A", undefined, "C"])
    expect(lru.size).toBe(2)
  })

  it("evicts until the bytes fit, and never stores an entry larger than the budget", () => {
    const lru = new BoundedLru<string>({ maxEntries: 100, maxBytes: 10 })
    lru.set("a", "A", 4, Infinity)
    lru.set("b", "B", 4, Infinity)
    lru.set("c", "C", 4, Infinity)
    expect([lru.get("a", 0), lru.get("b", 0), lru.get("c", 0)]).toEqual([undefined, "B", "C"])
    expect(lru.bytes).toBe(8)
    lru.set("huge", "H", 11, Infinity)
    expect([lru.get("huge", 0), lru.size, lru.bytes]).toEqual([undefined, 2, 8])
  })

  it("replaces an entry in place and forgets expired ones", () => {
    const lru = new BoundedLru<string>({ maxEntries: 10, maxBytes: 100 })
    lru.set("a", "old", 5, 1_000)
    lru.set("a", "new", 7, 1_000)
    expect([lru.get("a", 999), lru.size, lru.bytes]).toEqual(["new", 1, 7])
    expect(lru.get("a", 1_000)).toBeUndefined()
    expect([lru.size, lru.bytes]).toEqual([0, 0])
  })
})
