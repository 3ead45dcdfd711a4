/**
 * What a run spends, the one place its mutable counts change: each question's `Tally` (kept when
 * it fails, so an interrupted or failed question still reports what it spent) and the run's
 * `max_cost_usd` `Budget`, which every upstream call is charged to as it answers (repairs and
 * fallbacks included); no call — a question's first, a repair, a fallback — is sent once what the
 * run spent reaches it. Both are read-only outside this module: only its operations change them.
 */
import type { Usage } from "../domain/Batch.ts"
import { addCost } from "../gateway/prices.ts"

/** What a question has spent so far, over every call of every model it tried. */
export interface Tally {
  /** Upstream calls made, repairs, refused parameters and transport retries included. */
  readonly attempts: number
  /** Summed over every call. */
  readonly usage: Usage | null
  /** USD over every call, each at its model's price; null once one call's price or usage is unknown. */
  readonly costUsd: number | null
  /** Repair prompts sent. */
  readonly repairs: number
  /** Every call that answered came from the cache (a cached answer made no call: it costs 0). */
  readonly cached: boolean
}

/** What a run may spend and what its calls have spent so far. */
export interface Budget {
  readonly limit: number
  readonly spent: number
}

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

// Readonly is not checked on assignment: this module's operations write what others only read.
const writable = <A>(value: A): Mutable<A> => value

export const emptyTally = (): Tally => ({ attempts: 0, usage: null, costUsd: 0, repairs: 0, cached: true })

/** A run's budget, or none without `max_cost_usd`; `spent`: what earlier runs of the same batch spent. */
export const makeBudget = (limit: number | undefined, spent: number | undefined): Budget | undefined =>
  limit === undefined ? undefined : { limit, spent: spent ?? 0 }

/** Why `budget` stops sending, or undefined while it lasts (or there is none). */
export const overBudget = (budget: Budget | undefined): string | undefined =>
  budget === undefined || budget.spent < budget.limit ? undefined :
    `budget exceeded: the batch has spent $${roundUsd(budget.spent)} of its max_cost_usd of $${budget.limit}`

/** Attempts of calls that failed: not billed, but counted. */
export const countFailedAttempts = (tally: Tally, attempts: number): void => {
  writable(tally).attempts += attempts
}

/** Repair prompts a question sent. */
export const countRepairs = (tally: Tally, repairs: number): void => {
  writable(tally).repairs += repairs
}

/** An answered call, cached or not, with what it cost when it was sent (`cost`: null when unknown). */
export interface AnsweredCall {
  readonly attempts: number
  readonly usage: Usage | null
  readonly cached: boolean
  readonly cost: number | null
}

/**
 * Adds an answered call to the question's tally and, unless the cache answered it (no call, no
 * cost), charges its cost to the run's budget; an unknown cost cannot be charged.
 */
export const recordAnswer = (tally: Tally, budget: Budget | undefined, call: AnsweredCall): void => {
  const counts = writable(tally)
  counts.attempts += call.attempts
  counts.usage = addUsage(counts.usage, call.usage)
  counts.cached &&= call.cached
  if (call.cached) return
  counts.costUsd = addCost(counts.costUsd, call.cost)
  if (budget !== undefined && call.cost !== null) writable(budget).spent += call.cost
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

const roundUsd = (usd: number) => Number(usd.toPrecision(6))
