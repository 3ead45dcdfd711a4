/**
 * The fair upstream slots on their own: who gets a freed slot, the per-batch cap, and that
 * interruption never loses a slot or grants one twice.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { FairSlots, type SlotClaim } from "../../src/llm/slots.ts"

/** Lets forked fibers run up to their next wait. */
const settle = Effect.yieldNow.pipe(Effect.repeat({ times: 9 }))

/** Calls that each hold a slot until the test finishes them, recording the order they got one. */
const harness = (slots: FairSlots) => {
  const granted: Array<string> = []
  const gates = new Map<string, Deferred.Deferred<void>>()
  const fibers = new Map<string, Fiber.Fiber<void>>()
  const call = (batch: SlotClaim, name: string) =>
    Effect.gen(function*() {
      const gate = Deferred.makeUnsafe<void>()
      gates.set(name, gate)
      const work = Effect.suspend(() => {
        granted.push(name)
        return Deferred.await(gate)
      })
      fibers.set(name, yield* Effect.forkChild(slots.withPermit(batch, work)))
      yield* settle
    })
  const finish = (name: string) => Deferred.succeed(gates.get(name)!, undefined).pipe(Effect.andThen(settle))
  const interrupt = (name: string) => Fiber.interrupt(fibers.get(name)!).pipe(Effect.andThen(settle))
  return { granted, call, finish, interrupt }
}

describe("FairSlots", () => {
  it.effect("freed slots go to the waiting batches in turn, not first come first served", () =>
    Effect.gen(function*() {
      const slots = new FairSlots(2, 2)
      const { granted, call, finish } = harness(slots)
      const big = { caller: "" }
      const small = { caller: "" }
      for (const name of ["big1", "big2", "big3", "big4", "big5"]) yield* call(big, name)
      yield* call(small, "small1")
      expect(granted).toEqual(["big1", "big2"])

      // First come first served would give big3, big4 and big5 their slots before small1.
      for (const name of ["big1", "big2", "big3"]) yield* finish(name)
      expect(granted).toEqual(["big1", "big2", "big3", "small1", "big4"])
    }))

  it.effect("callers take turns first, then each caller's batches take turns", () =>
    Effect.gen(function*() {
      const slots = new FairSlots(1, 1)
      const { granted, call, finish } = harness(slots)
      const x1 = { caller: "x" }
      const x2 = { caller: "x" }
      const y1 = { caller: "y" }
      yield* call({ caller: "z" }, "z")
      for (const [batch, name] of [[x1, "x1a"], [x1, "x1b"], [x2, "x2a"], [x2, "x2b"], [y1, "y1a"], [y1, "y1b"]] as const) {
        yield* call(batch, name)
      }
      for (const name of ["z", "x1a", "y1a", "x2a", "y1b", "x1b"]) yield* finish(name)
      // x has two batches and y one, yet y gets every other slot.
      expect(granted).toEqual(["z", "x1a", "y1a", "x2a", "y1b", "x1b", "x2b"])
    }))

  it.effect("a batch never holds more than its cap, even with slots free", () =>
    Effect.gen(function*() {
      const slots = new FairSlots(4, 2)
      const { granted, call } = harness(slots)
      const stuck = { caller: "" }
      for (const name of ["s1", "s2", "s3", "s4", "s5"]) yield* call(stuck, name)
      expect(granted).toEqual(["s1", "s2"])
      expect(slots.free).toBe(2)

      yield* call({ caller: "" }, "other")
      expect(granted).toEqual(["s1", "s2", "other"])
    }))

  it.effect("a batch that runs alone (llm-batch ask) may hold every slot", () =>
    Effect.gen(function*() {
      const slots = new FairSlots(4, 2)
      const { granted, call } = harness(slots)
      const alone = { caller: "", alone: true }
      for (const name of ["a1", "a2", "a3", "a4", "a5"]) yield* call(alone, name)
      expect(granted).toEqual(["a1", "a2", "a3", "a4"])
      expect(slots.free).toBe(0)
    }))

  it.effect("an interrupted waiter leaves the queue and the next one gets the slot", () =>
    Effect.gen(function*() {
      const slots = new FairSlots(1, 1)
      const { granted, call, finish, interrupt } = harness(slots)
      const batch = { caller: "" }
      yield* call(batch, "holder")
      yield* call(batch, "gone")
      yield* call(batch, "next")
      yield* interrupt("gone")
      yield* finish("holder")
      expect(granted).toEqual(["holder", "next"])
      yield* finish("next")
      expect(slots.free).toBe(1)
    }))

  it.effect("an interrupted holder gives its slot back", () =>
    Effect.gen(function*() {
      const slots = new FairSlots(1, 1)
      const { granted, call, finish, interrupt } = harness(slots)
      yield* call({ caller: "" }, "holder")
      yield* call({ caller: "" }, "waiter")
      yield* interrupt("holder")
      expect(granted).toEqual(["holder", "waiter"])
      yield* finish("waiter")
      expect(slots.free).toBe(1)
    }))

  it.effect("under random interruptions no slot is lost or granted twice, and no batch passes its cap", () =>
    Effect.gen(function*() {
      const total = 3
      const cap = 2
      const slots = new FairSlots(total, cap)
      // A fixed-seed generator: the run is the same every time.
      let seed = 42
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
        return seed % n
      }
      const batches = ["a", "b", "c"].flatMap((caller) => [{ caller }, { caller }])
      const held = new Map<SlotClaim, number>(batches.map((batch) => [batch, 0]))
      let inFlight = 0
      let peak = 0
      let overCap = false
      let completed = 0
      const work = (batch: SlotClaim, steps: number) =>
        Effect.gen(function*() {
          inFlight += 1
          peak = Math.max(peak, inFlight)
          held.set(batch, held.get(batch)! + 1)
          if (held.get(batch)! > cap) overCap = true
          for (let i = 0; i < steps; i++) yield* Effect.yieldNow
          completed += 1
        }).pipe(Effect.ensuring(Effect.sync(() => {
          inFlight -= 1
          held.set(batch, held.get(batch)! - 1)
        })))

      const fibers: Array<Fiber.Fiber<void>> = []
      for (let i = 0; i < 300; i++) {
        const batch = batches[random(batches.length)]!
        fibers.push(yield* Effect.forkChild(slots.withPermit(batch, work(batch, random(5)))))
        if (random(3) === 0) yield* Effect.yieldNow
        // Interrupt a random earlier call: waiting, holding a slot or already done.
        if (random(4) === 0) yield* Effect.forkChild(Fiber.interrupt(fibers[random(fibers.length)]!))
      }
      yield* Fiber.awaitAll(fibers)
      yield* settle

      expect(peak).toBe(total)
      expect(overCap).toBe(false)
      expect(completed).toBeGreaterThan(0)
      expect(inFlight).toBe(0)
      expect(slots.free).toBe(total)
    }))
})
