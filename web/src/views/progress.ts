/** A job's progress bar and counts, shared by the list and the job's page. */
import type { Job } from "../../../src/domain/Job.ts"
import { h } from "../dom.ts"
import { count, countsParts } from "../format.ts"

export const progressBar = (job: Job): HTMLElement => {
  const { total, succeeded, failed } = job.counts
  const percent = (n: number) => (total === 0 ? 0 : (100 * n) / total)
  return h(
    "div",
    {
      class: "progress",
      role: "progressbar",
      "aria-valuemin": 0,
      "aria-valuemax": total,
      "aria-valuenow": succeeded + failed,
      title: `${count(succeeded)} succeeded, ${count(failed)} failed, ${count(job.counts.pending)} pending`
    },
    h("span", { class: "bar status-succeeded", style: `width:${percent(succeeded)}%` }),
    h("span", { class: "bar status-failed", style: `width:${percent(failed)}%` })
  )
}

export const countsText = (job: Job, skipped = 0): HTMLElement => {
  const parts = countsParts(job.counts, skipped)
  return h(
    "span",
    { class: "counts", "data-testid": "counts" },
    h("span", { class: "ok" }, parts.ok),
    " · ",
    h("span", { class: job.counts.failed - skipped > 0 ? "bad" : "" }, parts.failed),
    parts.skipped === undefined ? null : [" · ", h("span", { class: "skipped" }, parts.skipped)],
    " · ",
    parts.rest
  )
}

export const statusBadge = (job: Job): HTMLElement =>
  h("span", { class: `badge job-${job.status}`, "data-testid": "job-status", "data-status": job.status }, job.status)
