/**
 * The job page's "Provider batches" table (the batch lane): each provider batch's wave, provider,
 * id, state and counts, as `GET /batches/{id}` reports them, refreshed with the job.
 */
import type { Job } from "../../../src/domain/Job.ts"
import { h } from "../dom.ts"
import { providerBatchCells, providerBatchColumns } from "../format.ts"

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
