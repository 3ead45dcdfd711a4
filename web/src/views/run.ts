/**
 * Run something (`#/run`): paste or upload a batch (JSON or JSONL), or make one from a dataset
 * (views/dataset.ts); see its problems as the service would report them, estimate its cost and time
 * per lane, then submit it as a job or run it now through `/ask/stream` with the graph filling in
 * as the answers stream back.
 */
import { describeLines } from "../../../src/domain/jsonl.ts"
import { defaultLane, Lane } from "../../../src/domain/Lane.ts"
import { ApiError, askStream, estimateJob, submitJob } from "../api.ts"
import { h, replace } from "../dom.ts"
import { estimateRows } from "../estimate.ts"
import { count } from "../format.ts"
import { liveGraph } from "../graph/live.ts"
import { GraphModel } from "../graph/model.ts"
import { datasetForm } from "./dataset.ts"
import { exampleBatch } from "./example.ts"
import { askRequest, jobBody, ownLane, type Parsed, parseInput, questionsOf } from "./input.ts"
import { aborted, message } from "./view.ts"

const validateAfterMs = 250

/** The lane selector's choices: what each lane means for the one who picks it. */
export const laneChoices: ReadonlyArray<readonly [Lane, string]> = [
  ["sync", "sync: answers now, at the full price"],
  ["batch", "batch: the providers' batch APIs, half price, hours of latency"],
  ["auto", "auto: batch where the provider has it, sync for the rest"]
]

export const runView = (root: HTMLElement, signal: AbortSignal): void => {
  const editor = h("textarea", {
    class: "editor",
    "data-testid": "batch-input",
    spellcheck: "false",
    "aria-label": "Batch (JSON or JSONL)",
    placeholder: '{"questions": [{"index": 1, "question": "…"}]}\n\nor JSONL, one question per line:\n{"index": 1, "question": "…"}'
  })
  const file = h("input", { type: "file", accept: ".json,.jsonl,.ndjson,application/json", "data-testid": "batch-file" })
  const format = h("span", { class: "note", "data-testid": "format" })
  const problems = h("div", { class: "problems", role: "alert", "data-testid": "validation" })
  const submit = h("button", { type: "button", "data-testid": "submit-job" }, "Submit as a job")
  const estimate = h("button", { type: "button", class: "secondary", "data-testid": "estimate-job" }, "Estimate")
  const estimated = h("dl", { class: "estimate", "data-testid": "estimate" })
  /** An estimate is of the batch and lane it was asked for: an edit makes it stale. */
  const forgetEstimate = () => replace(estimated)
  const lane = h(
    "select",
    { "data-testid": "lane-choice", "aria-label": "The job's lane" },
    laneChoices.map(([value, text]) => h("option", { value, selected: value === defaultLane }, text))
  )
  const chosenLane = (): Lane => Lane.literals.find((value) => value === lane.value) ?? defaultLane
  const runNow = h("button", { type: "button", class: "secondary", "data-testid": "run-now" }, "Run now")
  const stop = h("button", { type: "button", class: "danger", hidden: true }, "Stop")
  const output = h("div", { class: "run-output" })
  const status = h("p", { class: "note", role: "status", "data-testid": "run-status" })
  let hint: "json" | "jsonl" | undefined
  let parsed: Parsed = { format: "empty" }
  let running: AbortController | undefined

  const showProblems = (lines: ReadonlyArray<string>) =>
    replace(problems, lines.length === 0 ? null : h("ul", {}, lines.map((line) => h("li", {}, line))))

  const validate = () => {
    parsed = parseInput(editor.value, hint)
    const questions = questionsOf(parsed)
    format.textContent = parsed.format === "empty"
      ? ""
      : `Read as ${parsed.format.toUpperCase()}${questions.length > 0 ? `: ${count(questions.length)} questions` : ""}`
    showProblems(parsed.format === "empty" ? [] : parsed.problems ?? [])
    const own = ownLane(parsed)
    if (own !== undefined) lane.value = own
    submit.disabled = runNow.disabled = estimate.disabled = parsed.format === "empty" || parsed.problems !== undefined
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  /** What the status line says about a finished run (done, stopped) no longer holds once the batch is edited. */
  const forgetLastRun = () => {
    if (running === undefined) status.textContent = ""
  }
  lane.addEventListener("change", forgetEstimate)
  editor.addEventListener("input", () => {
    hint = undefined
    forgetLastRun()
    forgetEstimate()
    clearTimeout(timer)
    timer = setTimeout(validate, validateAfterMs)
  })
  file.addEventListener("change", () => {
    const chosen = file.files?.[0]
    if (chosen === undefined) return
    chosen.text().then((text) => {
      hint = /\.(jsonl|ndjson)$/i.test(chosen.name) ? "jsonl" : /\.json$/i.test(chosen.name) ? "json" : undefined
      editor.value = text
      forgetLastRun()
      forgetEstimate()
      validate()
    }, (error: unknown) => showProblems([`Could not read ${chosen.name}: ${message(error)}`]))
  })

  submit.addEventListener("click", () => {
    validate()
    const body = jobBody(parsed, chosenLane())
    if (body === undefined) return
    // JSONL sent as JSON (another lane than sync): the service names questions[k], the user thinks in lines.
    const lines = parsed.format === "jsonl" && parsed.problems === undefined ? parsed.lines : undefined
    submit.disabled = true
    status.textContent = "Submitting…"
    submitJob(body).then(
      (job) => {
        location.hash = `#/jobs/${job.id}`
      },
      (error: unknown) => {
        submit.disabled = false
        status.textContent = ""
        const text = message(error)
        showProblems([error instanceof ApiError && lines !== undefined ? describeLines(lines, text) : text])
      }
    )
  })

  estimate.addEventListener("click", () => {
    validate()
    const body = jobBody(parsed, chosenLane())
    if (body === undefined) return
    const lines = parsed.format === "jsonl" && parsed.problems === undefined ? parsed.lines : undefined
    estimate.disabled = true
    replace(estimated, h("dd", {}, "Estimating…"))
    estimateJob(body).then(
      (answer) => replace(estimated, ...estimateRows(answer).flatMap(([label, text]) => [h("dt", {}, label), h("dd", {}, text)])),
      (error: unknown) => {
        forgetEstimate()
        const text = message(error)
        showProblems([error instanceof ApiError && lines !== undefined ? describeLines(lines, text) : text])
      }
    ).finally(() => {
      estimate.disabled = false
    })
  })

  runNow.addEventListener("click", () => {
    validate()
    const ask = askRequest(parsed)
    if ("problem" in ask) return showProblems([ask.problem])
    const lines = parsed.format === "jsonl" && parsed.problems === undefined ? parsed.lines : undefined
    running?.abort()
    const controller = new AbortController()
    running = controller
    signal.addEventListener("abort", () => controller.abort(), { once: true })
    const model = new GraphModel(ask.request.questions)
    const graph = liveGraph(model)
    replace(output, graph.element)
    graph.mount()
    controller.signal.addEventListener("abort", () => graph.setActive(false), { once: true })
    signal.addEventListener("abort", graph.destroy, { once: true })
    graph.setActive(true)
    runNow.disabled = true
    stop.hidden = false
    status.textContent = `Running ${count(model.size)} questions…`
    const stream = async () => {
      let received = 0
      for await (const result of await askStream(ask.request, controller.signal)) {
        graph.add(result)
        received += 1
      }
      const counts = model.counts()
      status.textContent = `Done: ${count(received)} results, ${count(counts.succeeded)} succeeded, ` +
        `${count(counts.failed)} failed, ${count(counts.skipped)} skipped.`
    }
    stream().catch((error: unknown) => {
      if (aborted(controller.signal, error)) {
        status.textContent = "Stopped."
        return
      }
      status.textContent = ""
      // A batch error names `questions[k]`; in JSONL the user thinks in lines.
      const text = message(error)
      showProblems([error instanceof ApiError && lines !== undefined ? describeLines(lines, text) : text])
      replace(output)
      graph.destroy()
    }).finally(() => {
      if (running === controller) running = undefined
      graph.setActive(false)
      runNow.disabled = false
      stop.hidden = true
    })
  })
  stop.addEventListener("click", () => running?.abort())

  const dataset = datasetForm((jsonl) => {
    hint = "jsonl"
    editor.value = jsonl
    forgetLastRun()
    forgetEstimate()
    validate()
  })

  const example = h("button", { type: "button", class: "secondary", "data-testid": "load-example" }, "Load an example")
  example.addEventListener("click", () => {
    hint = "json"
    editor.value = exampleBatch
    forgetLastRun()
    forgetEstimate()
    validate()
  })

  replace(
    root,
    h("h1", {}, "Run a batch"),
    h("p", { class: "note" }, "Paste a batch — JSON ", h("code", {}, '{"questions": [...]}'), " or JSONL, one question per line — or upload a file. ",
      "It is checked here with the service's own rules; the service checks it again."),
    h("div", { class: "toolbar" }, file, example, format),
    dataset,
    editor,
    problems,
    h("div", { class: "toolbar" }, h("label", { class: "lane" }, "Lane ", lane), estimate, submit, runNow, stop),
    estimated,
    status,
    output
  )
  validate()
}
