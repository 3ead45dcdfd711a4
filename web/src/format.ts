/** How numbers, money and times read on screen. */
import type { ProviderBatch } from "../../src/domain/Lane.ts"

export const count = (n: number): string => n.toLocaleString("en-US")

/** USD with enough digits for fractions of a cent; null is a price the service does not know. */
export const usd = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? "unknown"
    : value === 0
    ? "$0"
    : value < 0.01
    ? `$${value.toPrecision(2)}`
    : `$${value.toFixed(value < 10 ? 4 : 2)}`

/** "12 s ago", "3 min ago", "5 h ago", "2 d ago". */
export const age = (iso: string, now = Date.now()): string => {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86_400)} d ago`
}

export const duration = (ms: number): string => ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`

export const tokens = (usage: { readonly prompt_tokens: number; readonly completion_tokens: number } | null) =>
  usage === null ? "none" : `${count(usage.prompt_tokens)} in, ${count(usage.completion_tokens)} out`

/** "Q1", "Q1 and Q2", "Q1, Q2 and Q3"; past `most`, "Q1, Q2 and 3 more". */
export const questionList = (indexes: ReadonlyArray<number>, most = 5): string => {
  const names = indexes.slice(0, most).map((index) => `Q${index}`)
  if (indexes.length > most) names.push(`${count(indexes.length - most)} more`)
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`
}

/** A question's cost in its details: nothing when never sent or answered from the cache; null is unknown. */
export const resultCost = (result: { readonly cost_usd: number | null; readonly attempts: number; readonly cached: boolean }) =>
  result.cost_usd !== 0
    ? usd(result.cost_usd)
    : result.cached
    ? "none (cached)"
    : result.attempts === 0
    ? "none (not sent)"
    : usd(0)

/**
 * A job's cost in its header. The service says null when any question's cost is unknown (a price
 * it lacks, a call cut short); the job's page names those questions once it has their results.
 */
export const jobCost = (cost: number | null, unknownFor: ReadonlyArray<number> = []): string =>
  cost === null && unknownFor.length > 0 ? `unknown (not known for ${questionList(unknownFor)})` : usd(cost)

/**
 * "3 ok · 1 failed · 2 skipped · 0 pending of 6". The service counts a question not sent because
 * a dependency failed as failed; where the graph knows how many those are (`skipped`), they are
 * shown apart, as its legend shows them.
 */
export const countsParts = (
  counts: { readonly total: number; readonly succeeded: number; readonly failed: number; readonly pending: number },
  skipped = 0
) => {
  const shownSkipped = Math.min(skipped, counts.failed)
  return {
    ok: `${count(counts.succeeded)} ok`,
    failed: `${count(counts.failed - shownSkipped)} failed`,
    skipped: shownSkipped > 0 ? `${count(shownSkipped)} skipped` : undefined,
    rest: `${count(counts.pending)} pending of ${count(counts.total)}`
  }
}

/** The job page's "Provider batches" table: its columns, and a provider batch's cells in their order. */
export const providerBatchColumns = ["Wave", "Provider", "Id", "Status", "Requests", "Succeeded", "Failed"] as const

export const providerBatchCells = (batch: ProviderBatch): ReadonlyArray<string> => [
  String(batch.wave),
  batch.provider,
  batch.id ?? "not accepted yet",
  batch.status.replaceAll("_", " "),
  count(batch.requests),
  count(batch.succeeded),
  count(batch.failed)
]
