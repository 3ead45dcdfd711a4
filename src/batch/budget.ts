/**
 * What a run spends, the one place its mutable counts change: each question's `Tally` (kept when
 * it fails, so an interrupted or failed question still reports what it spent) and the run's
 * `max_cost_usd` `Budget`, which every upstream call is charged to as it answers (repairs and
 * fallbacks included); no call — a question's first, a repair, a fallback — is sent once what the
 * run spent reaches it. Their counts are private: others read them and call these operations.
 */
import type { Usage } from "../domain/Batch.ts"
import { addCost } from "../gateway/prices.ts"

/** What a run may spend and what its calls have spent so far. */
export class Budget {
  readonly limit: number
  #spent: number
  private constructor(limit: number, spent: number) {
    this.limit = limit
    this.#spent = spent
  }

  /** A run's budget, or none without `max_cost_usd`; `spent`: what earlier runs of the same batch spent. */
  static make(limit: number | undefined, spent: number | undefined): Budget | undefined {
    return limit === undefined ? undefined : new Budget(limit, spent ?? 0)
  }

  get spent(): number {
    return this.#spent
  }

  /** A call's cost, charged as the call answers; an unknown cost (null) cannot be counted. */
  charge(cost: number | null): void {
    if (cost !== null) this.#spent += cost
  }
}

/** Why `budget` stops sending, or undefined while it lasts (or there is none). */
export const overBudget = (budget: Budget | undefined): string | undefined =>
  budget === undefined || budget.spent < budget.limit ? undefined :
    `budget exceeded: the batch has spent $${roundUsd(budget.spent)} of its max_cost_usd of $${budget.limit}`

/** An answered call, cached or not, with what it cost when it was sent (`cost`: null when unknown). */
export interface AnsweredCall {
  readonly attempts: number
  readonly usage: Usage | null
  readonly cached: boolean
  readonly cost: number | null
  /** `batch`: answered as a line of a provider batch. */
  readonly lane?: "batch" | undefined
}

/** What a question has spent so far, over every call of every model it tried. */
export class Tally {
  #attempts = 0
  #usage: Usage | null = null
  #costUsd: number | null = 0
  #repairs = 0
  #cached = true
  #lane: "sync" | "batch" = "sync"

  /** Upstream calls made, repairs, refused parameters and transport retries included. */
  get attempts(): number {
    return this.#attempts
  }
  /** Summed over every call. */
  get usage(): Usage | null {
    return this.#usage
  }
  /** USD over every call, each at its model's price; null once one call's price or usage is unknown. */
  get costUsd(): number | null {
    return this.#costUsd
  }
  /** `batch` once one of its answers came as a line of a provider batch. */
  get lane(): "sync" | "batch" {
    return this.#lane
  }
  /** Repair prompts sent. */
  get repairs(): number {
    return this.#repairs
  }
  /** Every call that answered came from the cache (a cached answer made no call: it costs 0). */
  get cached(): boolean {
    return this.#cached
  }

  /** Attempts of calls that failed: not billed, but counted. */
  countFailedAttempts(attempts: number): void {
    this.#attempts += attempts
  }

  /** Repair prompts the question sent. */
  countRepairs(repairs: number): void {
    this.#repairs += repairs
  }

  /**
   * Adds an answered call and, unless the cache answered it (no call, no cost), charges its cost to
   * the run's budget.
   */
  recordAnswer(call: AnsweredCall, budget: Budget | undefined): void {
    this.#attempts += call.attempts
    this.#usage = addUsage(this.#usage, call.usage)
    this.#cached &&= call.cached
    if (call.lane === "batch") this.#lane = "batch"
    if (call.cached) return
    this.#costUsd = addCost(this.#costUsd, call.cost)
    budget?.charge(call.cost)
  }
}

const addUsage = (total: Usage | null, more: Usage | null): Usage | null =>
  total === null
    ? more
    : more === null
    ? total
    : {
      prompt_tokens: total.prompt_tokens + more.prompt_tokens,
      completion_tokens: total.completion_tokens + more.completion_tokens
    }

export const roundUsd = (usd: number) => Number(usd.toPrecision(6))
