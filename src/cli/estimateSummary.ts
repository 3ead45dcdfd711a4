/** `llm-batch estimate`'s summary on stderr: the estimate as a person reads it (the JSON is on stdout). */
import type { CostRange, JobEstimate } from "../domain/Estimate.ts"
import { etaText, modelsCounted } from "../domain/estimateText.ts"

export { duration } from "../domain/estimateText.ts"

/** Dollars with three significant digits, never in exponent notation ($0.00000480, $12.3). */
export const usd = (amount: number): string => {
  if (amount === 0) return "$0"
  const decimals = Math.max(2, 2 - Math.floor(Math.log10(Math.abs(amount))))
  return `$${amount.toFixed(Math.min(decimals, 20))}`
}

const costs = (range: CostRange | null) => range === null ? "cost unknown" : `${usd(range.min)} to ${usd(range.max)}`

const eta = etaText

export const estimateSummary = (estimate: JobEstimate): string => {
  const counted = (kind: "exact" | "approximate") => modelsCounted(estimate, kind)
  const exact = counted("exact")
  const approximate = counted("approximate")
  const tokens = estimate.prompt_tokens.min === estimate.prompt_tokens.max
    ? `${estimate.prompt_tokens.min}`
    : `${estimate.prompt_tokens.min} to ${estimate.prompt_tokens.max}`
  const lines = [
    `${estimate.questions} question${estimate.questions === 1 ? "" : "s"} in ${estimate.waves} wave` +
    `${estimate.waves === 1 ? "" : "s"}; prompt tokens ${tokens} (` +
    [exact.length > 0 ? `exact: ${exact.join(", ")}` : "", approximate.length > 0 ? `approximate: ${approximate.join(", ")}` : ""]
      .filter((part) => part !== "").join("; ") +
    `); completion tokens at most ${estimate.completion_tokens_max}`,
    `sync:  ${costs(estimate.cost_usd.sync)}, ${eta(estimate.eta.sync)} (${estimate.eta.sync.basis})`,
    `batch: ${costs(estimate.cost_usd.batch)}, ${estimate.eta.batch === null ? "no batch API for every model" : eta(estimate.eta.batch)}`
  ]
  if (estimate.unpriced_models.length > 0) lines.push(`no price for ${estimate.unpriced_models.join(", ")}`)
  const budget = estimate.budget
  if (budget !== null && budget.exceeded) {
    lines.push(
      `max_cost_usd ${usd(budget.max_cost_usd)} is exceeded: the prompts alone cost at least ` +
        `${usd(budget.lower_bound_usd)} on lane ${estimate.lane}; llm-batch submit would be refused`
    )
  }
  return `${lines.join("\n")}\n`
}
