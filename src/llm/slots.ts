/**
 * Fair shares of the upstream slots (LLM_CONCURRENCY). A freed slot goes to the next caller in
 * turn, then to that caller's next batch in turn, so a small batch behind a big one waits about
 * one upstream call instead of the whole big batch; and no batch holds more than its cap
 * (BATCH_CONCURRENCY), so a batch stuck on a server that never answers cannot take every slot.
 */
import { Effect } from "effect"

/** A batch's claim on slots: the object is the batch's identity, `caller` who sent it ("" = anyone). */
export interface SlotClaim {
  readonly caller: string
  /** The batch is the process's only one (`llm-batch ask`): no cap but LLM_CONCURRENCY. */
  readonly alone?: boolean | undefined
}

const waiting = 0
const granted = 1
const cancelled = 2

interface Waiter {
  state: typeof waiting | typeof granted | typeof cancelled
  readonly resume: () => void
}

/** One batch's slots: kept as long as its claim lives, so later calls of the batch allocate nothing. */
class Lane {
  held = 0
  /** Waiters still waiting; cancelled ones stay in `queue` until reached (removal costs nothing). */
  waiting = 0
  queue: Array<Waiter> = []
  /** Where the queue starts: taking from the front costs no copy. */
  head = 0
  readonly claim: SlotClaim
  /** Most slots this batch may hold. */
  readonly cap: number
  readonly release: Effect.Effect<void>
  constructor(claim: SlotClaim, slots: FairSlots) {
    this.claim = claim
    this.cap = claim.alone === true ? slots.total : slots.perBatch
    this.release = Effect.sync(() => slots.releaseUnsafe(this))
  }
}

/** A caller with batches waiting, and whose batch is next. */
interface Turn {
  readonly caller: string
  readonly lanes: Array<Lane>
  next: number
}

export class FairSlots {
  readonly total: number
  readonly perBatch: number
  private available: number
  private readonly lanes = new WeakMap<SlotClaim, Lane>()
  /** Callers with waiting batches, in turn; `callers` finds one by key. */
  private readonly turns: Array<Turn> = []
  private readonly callers = new Map<string, Turn>()
  private nextTurn = 0
  private dispatching = false

  constructor(total: number, perBatch: number) {
    this.total = total
    this.perBatch = perBatch
    this.available = total
  }

  /** Slots not held by anyone. */
  get free(): number {
    return this.available
  }

  /** Runs `effect` holding one slot of `claim`'s batch; waits its turn when none is free to it. */
  withPermit<A, E, R>(claim: SlotClaim, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.uninterruptibleMask((restore) => {
      const lane = this.laneFor(claim)
      // Free slots with waiters left means every waiting batch is at its cap: taking one is fair.
      if (this.available > 0 && lane.held < lane.cap && lane.waiting === 0) {
        this.available -= 1
        lane.held += 1
        return Effect.ensuring(restore(effect), lane.release)
      }
      return Effect.flatMap(restore(this.wait(lane)), () => Effect.ensuring(restore(effect), lane.release))
    })
  }

  /** @internal Gives a slot back and hands it to whoever is next. */
  releaseUnsafe(lane: Lane): void {
    lane.held -= 1
    this.available += 1
    this.dispatch()
  }

  private laneFor(claim: SlotClaim): Lane {
    let lane = this.lanes.get(claim)
    if (lane === undefined) {
      lane = new Lane(claim, this)
      this.lanes.set(claim, lane)
    }
    return lane
  }

  private wait(lane: Lane): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      const waiter: Waiter = { state: waiting, resume: () => resume(Effect.void) }
      this.enqueue(lane, waiter)
      this.dispatch()
      return Effect.sync(() => this.cancel(lane, waiter))
    })
  }

  private enqueue(lane: Lane, waiter: Waiter): void {
    lane.queue.push(waiter)
    lane.waiting += 1
    if (lane.waiting > 1) return
    // A newcomer joins at the end of the current round (just before whoever is next), so a stream
    // of new batches or callers cannot keep the ones already waiting from their turn.
    let turn = this.callers.get(lane.claim.caller)
    if (turn === undefined) {
      turn = { caller: lane.claim.caller, lanes: [], next: 0 }
      this.callers.set(turn.caller, turn)
      this.turns.splice(this.nextTurn, 0, turn)
      this.nextTurn += 1
    }
    turn.lanes.splice(turn.next, 0, lane)
    turn.next += 1
  }

  /** Interrupted while waiting: it leaves the queue. Granted meanwhile: the slot goes back. */
  private cancel(lane: Lane, waiter: Waiter): void {
    if (waiter.state === granted) return this.releaseUnsafe(lane)
    if (waiter.state !== waiting) return
    waiter.state = cancelled
    lane.waiting -= 1
    if (lane.waiting === 0) this.retire(lane)
  }

  /** Grants free slots: callers in turn, each caller's batches in turn, batches at their cap skipped. */
  private dispatch(): void {
    // A resumed fiber runs at once and may release or wait again: the loop below picks that up.
    if (this.dispatching) return
    this.dispatching = true
    try {
      while (this.available > 0 && this.turns.length > 0) {
        const lane = this.nextLane()
        if (lane === undefined) return
        const waiter = this.dequeue(lane)
        lane.held += 1
        this.available -= 1
        waiter.state = granted
        waiter.resume()
      }
    } finally {
      this.dispatching = false
    }
  }

  private nextLane(): Lane | undefined {
    const turns = this.turns
    for (let i = 0; i < turns.length; i++) {
      const t = (this.nextTurn + i) % turns.length
      const turn = turns[t]!
      for (let j = 0; j < turn.lanes.length; j++) {
        const l = (turn.next + j) % turn.lanes.length
        const lane = turn.lanes[l]!
        if (lane.held < lane.cap) {
          turn.next = l + 1
          this.nextTurn = t + 1
          return lane
        }
      }
    }
    return undefined
  }

  private dequeue(lane: Lane): Waiter {
    let waiter = lane.queue[lane.head++]!
    while (waiter.state !== waiting) waiter = lane.queue[lane.head++]!
    lane.waiting -= 1
    if (lane.waiting === 0) {
      this.retire(lane)
    } else if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head)
      lane.head = 0
    }
    return waiter
  }

  /** A batch with no one waiting leaves the turns (and its caller too, when it was the last). */
  private retire(lane: Lane): void {
    lane.queue.length = 0
    lane.head = 0
    const turn = this.callers.get(lane.claim.caller)!
    const l = turn.lanes.indexOf(lane)
    turn.lanes.splice(l, 1)
    if (l < turn.next) turn.next -= 1
    if (turn.lanes.length > 0) return
    this.callers.delete(turn.caller)
    const t = this.turns.indexOf(turn)
    this.turns.splice(t, 1)
    if (t < this.nextTurn) this.nextTurn -= 1
  }
}
