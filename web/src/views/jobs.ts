/**
 * The jobs list (`#/`): status, progress, counts, cost and age of the newest jobs, polled every
 * second while any is unfinished, with a cancel button for those. Rows are updated in place, so a
 * poll never swaps a button out from under a click.
 */
import type { Job } from "../../../src/domain/Job.ts"
import { finishedStatuses } from "../../../src/domain/Job.ts"
import { cancelJob, listJobs } from "../api.ts"
import { h, replace } from "../dom.ts"
import { age, usd } from "../format.ts"
import { countsText, progressBar, statusBadge } from "./progress.ts"
import { aborted, message, sleep, type View } from "./view.ts"

const livePollMs = 1000
const idlePollMs = 5000

interface Row {
  readonly element: HTMLElement
  update: (job: Job) => void
}

const jobRow = (first: Job, poll: () => void): Row => {
  const cells = {
    status: h("div", { class: "cell status" }),
    progress: h("div", { class: "cell progress-cell" }),
    cost: h("div", { class: "cell cost", "data-testid": "cost" }),
    age: h("div", { class: "cell age" }),
    action: h("div", { class: "cell action" })
  }
  const problem = h("div", { class: "cell problem error", role: "alert" })
  const name = first.metadata.name ?? first.metadata.title
  const element = h(
    "div",
    { class: "job-row", role: "row", "data-job-id": first.id },
    h("div", { class: "cell id" }, h("a", { href: `#/jobs/${first.id}` }, first.id), name ? h("span", { class: "name" }, name) : null),
    cells.status,
    cells.progress,
    cells.cost,
    cells.age,
    cells.action,
    problem
  )
  const cancel = h("button", { type: "button", class: "danger", "data-testid": "cancel" }, "Cancel")
  cancel.addEventListener("click", () => {
    cancel.disabled = true
    cancelJob(first.id).then(
      (job) => {
        row.update(job)
        poll()
      },
      (error: unknown) => {
        cancel.disabled = false
        problem.textContent = `Cancel failed: ${message(error)}`
      }
    )
  })
  const row: Row = {
    element,
    update: (job) => {
      element.dataset.status = job.status
      replace(cells.status, statusBadge(job))
      replace(cells.progress, progressBar(job), countsText(job))
      cells.cost.textContent = usd(job.cost_usd)
      cells.age.textContent = age(job.created_at)
      cells.age.title = job.created_at
      const finished = finishedStatuses.has(job.status)
      if (finished || job.status === "cancelling") cells.action.replaceChildren()
      else if (cells.action.firstChild === null) cells.action.append(cancel)
      if (job.error !== undefined) problem.textContent = job.error
    }
  }
  row.update(first)
  return row
}

/** The columns' names, in the rows' order (the last column holds the cancel button). */
export const columns = ["Job", "Status", "Progress", "Cost", "Created", ""] as const

export const jobsView: View = (root, signal) => {
  const headings = h(
    "div",
    { class: "job-row headings", role: "row", "data-testid": "job-columns" },
    columns.map((name) => h("div", { class: "cell", role: "columnheader" }, name))
  )
  const table = h("div", { role: "rowgroup" })
  const status = h("p", { class: "note", role: "status" }, "Loading jobs…")
  replace(
    root,
    h("div", { class: "toolbar" }, h("h1", {}, "Jobs"), h("a", { class: "button", href: "#/run" }, "Run a batch")),
    status,
    h("div", { class: "jobs", role: "table", "data-testid": "jobs" }, headings, table)
  )
  const rows = new Map<string, Row>()
  let wake: (() => void) | undefined
  const poll = () => wake?.()

  const show = (jobs: ReadonlyArray<Job>) => {
    status.textContent = jobs.length === 0 ? "No jobs yet: run a batch, or submit one with POST /batches." : ""
    headings.hidden = jobs.length === 0
    const order: Array<HTMLElement> = []
    for (const job of jobs) {
      const existing = rows.get(job.id)
      if (existing === undefined) {
        const row = jobRow(job, poll)
        rows.set(job.id, row)
        order.push(row.element)
      } else {
        existing.update(job)
        order.push(existing.element)
      }
    }
    // Reorder (or drop rows) only when the list changed, never under a pointer for nothing.
    const current = [...table.children]
    if (current.length !== order.length || current.some((element, i) => element !== order[i])) table.replaceChildren(...order)
  }

  const loop = async () => {
    while (!signal.aborted) {
      let live = false
      try {
        const jobs = await listJobs(signal)
        show(jobs)
        live = jobs.some((job) => !finishedStatuses.has(job.status))
      } catch (error) {
        if (aborted(signal, error)) return
        status.textContent = `Could not list the jobs: ${message(error)}`
      }
      const tick = new AbortController()
      const stop = () => tick.abort()
      signal.addEventListener("abort", stop, { once: true })
      wake = stop
      await sleep(live ? livePollMs : idlePollMs, tick.signal)
      signal.removeEventListener("abort", stop)
    }
  }
  void loop()
}
