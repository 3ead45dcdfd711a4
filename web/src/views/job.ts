/**
 * A job's page (`#/jobs/<id>`): its header (status, progress, cost, lane, cancel) and its provider
 * batches, polled every second while it runs, and its question graph, filled from
 * `GET /batches/{id}/results?follow=true`.
 */
import type { QuestionItem } from "../../../src/domain/Batch.ts"
import { finishedStatuses, type Job } from "../../../src/domain/Job.ts"
import { cancelJob, followResults, getJob, jobQuestions } from "../api.ts"
import { h, replace } from "../dom.ts"
import { age, count, jobCost, tokens } from "../format.ts"
import { liveGraph } from "../graph/live.ts"
import { GraphModel } from "../graph/model.ts"
import { providerBatchesTable } from "./providerBatches.ts"
import { countsText, progressBar, statusBadge } from "./progress.ts"
import { aborted, message, sleep } from "./view.ts"

const pollMs = 1000

export const jobView = (id: string) => (root: HTMLElement, signal: AbortSignal): void => {
  const header = h("div", { class: "job-header" })
  const status = h("p", { class: "note", role: "status" }, "Loading the job…")
  const body = h("div", {})
  replace(root, h("p", {}, h("a", { href: "#/" }, "← Jobs")), header, status, body)
  let latest: Job | undefined
  // The questions and their results, once loaded: the header then tells skipped from failed, and
  // names the questions whose cost is unknown, as the graph and its details do.
  let model: GraphModel | undefined
  let onJob: (job: Job) => void = () => {}

  const cancel = h("button", { type: "button", class: "danger", "data-testid": "cancel", hidden: true }, "Cancel job")
  cancel.addEventListener("click", () => {
    cancel.disabled = true
    cancelJob(id).then(showJob, (error: unknown) => {
      cancel.disabled = false
      status.textContent = `Cancel failed: ${message(error)}`
    })
  })

  // Parts updated in place each second: the cancel button stays put under a pointer.
  const title = h("h1", {})
  const summary = h("div", { class: "job-summary" })
  const meta = h("p", { class: "meta" })
  const problem = h("p", { class: "error", role: "alert" })
  const missing = h("p", { class: "error", role: "alert", "data-testid": "missing-results", hidden: true })
  const batches = h("div", {})
  header.append(title, summary, meta, problem, missing, cancel, batches)

  function showJob(job: Job) {
    latest = job
    const finished = finishedStatuses.has(job.status)
    replace(title, job.id, " ", statusBadge(job))
    replace(summary, progressBar(job), countsText(job, model?.counts().skipped))
    replace(
      meta,
      `cost ${jobCost(job.cost_usd, model?.unknownCosts())} · tokens ${tokens(job.usage)} · lane `,
      h("span", { "data-testid": "lane" }, job.lane),
      ` · created ${age(job.created_at)}`,
      job.finished_at === null ? "" : ` · finished ${age(job.finished_at)}`,
      Object.entries(job.metadata).map(([key, value]) => h("span", { class: "tag" }, `${key}: ${value}`))
    )
    problem.textContent = job.error ?? ""
    problem.hidden = job.error === undefined
    cancel.hidden = finished || job.status === "cancelling"
    replace(batches, providerBatchesTable(job))
    onJob(job)
  }

  const pollJob = async () => {
    while (!signal.aborted && (latest === undefined || !finishedStatuses.has(latest.status))) {
      await sleep(pollMs, signal)
      if (signal.aborted) return
      try {
        showJob(await getJob(id, signal))
      } catch (error) {
        if (aborted(signal, error)) return
        status.textContent = `Could not refresh the job: ${message(error)}`
      }
    }
  }

  const run = async () => {
    showJob(await getJob(id, signal))
    const questions: Array<QuestionItem> = []
    for await (const question of await jobQuestions(id, signal)) {
      questions.push(question)
      if (questions.length % 5000 === 0) status.textContent = `Loading questions… ${count(questions.length)}`
    }
    status.textContent = ""
    model = new GraphModel(questions)
    const graph = liveGraph(model)
    replace(body, graph.element)
    graph.mount()
    signal.addEventListener("abort", graph.destroy, { once: true })
    onJob = (job) => graph.setActive(job.status === "running")
    if (latest !== undefined) onJob(latest)
    void pollJob()
    const received = new Set<number>()
    let lines = 0
    for await (const result of await followResults(id, signal)) {
      received.add(result.index)
      lines += 1
      graph.add(result)
    }
    // The stream ends with the job: read its final state once more, and check every result came once.
    const ended = await getJob(id, signal)
    showJob(ended)
    const expected = ended.counts.total - ended.counts.pending
    if (received.size < expected || lines > received.size) {
      missing.hidden = false
      missing.textContent = `The results stream delivered ${count(received.size)} of ${count(expected)} results` +
        (received.size < expected ? ` (${count(expected - received.size)} missing)` : "") +
        (lines > received.size ? `, ${count(lines - received.size)} twice` : "") +
        ": the graph is incomplete; reload the page to read them again."
    }
  }
  run().catch((error: unknown) => {
    if (!aborted(signal, error)) status.textContent = message(error)
  })
}
