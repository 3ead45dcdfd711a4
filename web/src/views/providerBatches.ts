/**
 * The job page's "Provider batches" table (the batch lane): each provider batch's wave, provider,
 * id, state and counts, as `GET /batches/{id}` reports them, refreshed with the job.
 */
import type { Job } from "../../../src/domain/Job.ts"
import type { ProviderBatch } from "../../../src/domain/Lane.ts"
import { h } from "../dom.ts"
import { count } from "../format.ts"

export const providerBatchColumns = ["Wave", "Provider", "Id", "Status", "Requests", "Succeeded", "Failed"] as const

/** A provider batch's cells, in the columns' order. */
export const providerBatchCells = (batch: ProviderBatch): ReadonlyArray<string> => [
  String(batch.wave),
  batch.provider,
  batch.id ?? "not accepted yet",
  batch.status.replaceAll("_", " "),
  count(batch.requests),
  count(batch.succeeded),
  count(batch.failed)
]

/** The table, or nothing for a job without provider batches (the sync lane's). */
export const providerBatchesTable = (job: Job): HTMLElement | null =>
  job.provider_batches.length === 0 ? null : h(
    "section",
    { class: "provider-batches", "data-testid": "provider-batches" },
    h("h2", {}, "Provider batches"),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, providerBatchColumns.map((name) => h("th", { scope: "col" }, name)))),
      h(
        "tbody",
        {},
        job.provider_batches.map((batch) => [
          h("tr", { "data-status": batch.status }, providerBatchCells(batch).map((cell) => h("td", {}, cell))),
          batch.error === undefined
            ? null
            : h("tr", { class: "error" }, h("td", { colspan: providerBatchColumns.length }, batch.error))
        ])
      )
    )
  )
