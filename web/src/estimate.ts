/** The *Run a batch* page's estimate, as rows of a label and what it says (docs/jobs.md, *Estimates*). */
import type { CostRange, JobEstimate } from "../../src/domain/Estimate.ts"
import { duration, etaText, modelsCounted } from "../../src/domain/estimateText.ts"
import { count, usd } from "./format.ts"

/** 45 s, 12 min, 3.5 h. */
export const seconds = duration

const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? "" : "s"}`

const costs = (range: CostRange | null) =>
  range === null ? "cost unknown" : range.min === range.max ? usd(range.min) : `${usd(range.min)} to ${usd(range.max)}`

const eta = etaText

export type EstimateRow = readonly [label: string, text: string]

export const estimateRows = (estimate: JobEstimate): ReadonlyArray<EstimateRow> => {
  const counted = (kind: "exact" | "approximate") => modelsCounted(estimate, kind)
  const how = [["exact", counted("exact")], ["approximate", counted("approximate")]] as const
  const { max, min } = estimate.prompt_tokens
  const rows: Array<EstimateRow> = [
    ["Questions", `${count(estimate.questions)} in ${plural(estimate.waves, "wave")}`],
    [
      "Prompt tokens",
      `${min === max ? count(min) : `${count(min)} to ${count(max)}`} (` +
      how.filter(([, models]) => models.length > 0).map(([kind, models]) => `${kind}: ${models.join(", ")}`).join("; ") + ")"
    ],
    ["Completion tokens", `at most ${count(estimate.completion_tokens_max)}`],
    ["Sync lane", `${costs(estimate.cost_usd.sync)}, ${eta(estimate.eta.sync)}`],
    [
      "Batch lane",
      estimate.eta.batch === null
        ? "not every model's provider has a batch API"
        : `${costs(estimate.cost_usd.batch)}, ${eta(estimate.eta.batch)}`
    ]
  ]
  if (estimate.unpriced_models.length > 0) rows.push(["No price for", estimate.unpriced_models.join(", ")])
  const budget = estimate.budget
  if (budget !== null) {
    rows.push([
      "Budget",
      budget.exceeded
        ? `max_cost_usd ${usd(budget.max_cost_usd)} is below the least this job can cost on lane ${estimate.lane} ` +
          `(${usd(budget.lower_bound_usd)}): the service would refuse it`
        : `max_cost_usd ${usd(budget.max_cost_usd)}; the least this job can cost on lane ${estimate.lane} is ` +
          usd(budget.lower_bound_usd)
    ])
  }
  return rows
}
