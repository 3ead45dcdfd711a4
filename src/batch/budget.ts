/**
 * A run's `max_cost_usd`: every upstream call is charged to it as it answers (repairs and
 * fallbacks included), and no call — a question's first, a repair, a fallback — is sent once
 * what the run spent reaches it.
 */

/** What a run may spend and what its calls have spent so far. */
export interface Budget {
  readonly limit: number
  spent: number
}

/** Why `budget` stops sending, or undefined while it lasts (or there is none). */
export const overBudget = (budget: Budget | undefined): string | undefined =>
  budget === undefined || budget.spent < budget.limit ? undefined :
    `budget exceeded: the batch has spent $${roundUsd(budget.spent)} of its max_cost_usd of $${budget.limit}`

/** A call's cost, charged as the call answers; an unknown cost (null) cannot be counted. */
export const charge = (budget: Budget | undefined, cost: number | null): void => {
  if (budget !== undefined && cost !== null) budget.spent += cost
}

const roundUsd = (usd: number) => Number(usd.toPrecision(6))
