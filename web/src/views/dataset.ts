/**
 * The *Run a batch* page's "from a dataset" form: a CSV, JSONL or Parquet file, a template over its
 * columns (`{{column}}`) and an id column make one question per row (`meta.id` = the row's id), as
 * `llm-batch run` does. The first prompts are previewed, the rows not sent are listed by line, and
 * the questions go to the batch editor as JSONL, so Estimate, Submit and Run now work as for any
 * pasted batch.
 */
import { formatOf } from "../../../src/domain/datasetRow.ts"
import { templateColumns } from "../../../src/domain/template.ts"
import { type Dataset, questionsJsonl, readDataset, renderDataset } from "../dataset.ts"
import { h, replace } from "../dom.ts"
import { count } from "../format.ts"
import { message } from "./view.ts"

const previewed = 5
const listedBad = 20
const renderAfterMs = 250

/** `onQuestions` gets the rendered questions as JSONL ("" when there are none). */
export const datasetForm = (onQuestions: (jsonl: string) => void): HTMLElement => {
  const file = h("input", { type: "file", accept: ".csv,.jsonl,.ndjson,.parquet", "data-testid": "dataset-file" })
  const template = h("textarea", {
    class: "template",
    rows: 2,
    spellcheck: "false",
    "aria-label": "Template",
    "data-testid": "dataset-template",
    placeholder: "Classify this review: {{text}}"
  })
  const idColumn = h("select", { "aria-label": "Id column", "data-testid": "dataset-id" })
  const summary = h("p", { class: "note", role: "status", "data-testid": "dataset-summary" })
  const preview = h("ol", { class: "preview", "data-testid": "dataset-preview" })
  const problems = h("div", { class: "problems", role: "alert", "data-testid": "dataset-problems" })
  let dataset: Dataset | undefined
  /** Whether the editor holds this form's questions: a file that cannot be read takes them back. */
  let filled = false
  const fill = (jsonl: string) => {
    filled = jsonl !== ""
    onQuestions(jsonl)
  }

  const render = () => {
    replace(preview)
    replace(problems)
    if (dataset === undefined) return
    const columns = `Columns: ${dataset.columns.join(", ")}.`
    if (templateColumns(template.value).length === 0) {
      summary.textContent = `${count(dataset.rows.length)} rows. ${columns} Write a template naming them as {{column}}.`
      return fill("")
    }
    const { questions, bad } = renderDataset(dataset, {
      template: template.value,
      idColumn: idColumn.value === "" ? undefined : idColumn.value,
      fields: {}
    })
    summary.textContent = `${count(questions.length)} questions from ${count(dataset.rows.length)} rows. ${columns}`
    replace(
      preview,
      questions.slice(0, previewed).map((question) =>
        h("li", {}, h("span", { class: "note" }, `id ${String(question.meta.id)}: `), h("span", { class: "prompt" }, question.question))
      )
    )
    if (bad.length > 0) {
      const more = bad.length - listedBad
      replace(
        problems,
        h("p", {}, `${count(bad.length)} row${bad.length === 1 ? "" : "s"} not sent:`),
        h("ul", {}, bad.slice(0, listedBad).map((line) => h("li", {}, line)), more > 0 ? h("li", {}, `and ${count(more)} more`) : null)
      )
    }
    fill(questionsJsonl(questions))
  }

  let timer: ReturnType<typeof setTimeout> | undefined
  template.addEventListener("input", () => {
    clearTimeout(timer)
    timer = setTimeout(render, renderAfterMs)
  })
  idColumn.addEventListener("change", render)
  file.addEventListener("change", () => {
    const chosen = file.files?.[0]
    if (chosen === undefined) return
    const format = formatOf(chosen.name)
    dataset = undefined
    if (filled) fill("")
    if (format === undefined) {
      summary.textContent = ""
      return replace(problems, `${chosen.name}: a dataset is a .csv, .jsonl or .parquet file.`)
    }
    summary.textContent = `Reading ${chosen.name}…`
    chosen.arrayBuffer().then((buffer) => readDataset(format, buffer)).then((read) => {
      dataset = read
      replace(idColumn, h("option", { value: "" }, "row number"), read.columns.map((column) => h("option", { value: column }, column)))
      render()
    }, (error: unknown) => {
      summary.textContent = ""
      replace(problems, `Could not read ${chosen.name}: ${message(error)}`)
    })
  })

  return h(
    "details",
    { class: "dataset", "data-testid": "dataset" },
    h("summary", {}, "From a dataset (CSV, JSONL or Parquet)"),
    h("p", { class: "note" }, "One question per row: ", h("code", {}, "{{column}}"), " is the row's value; ",
      "each result carries ", h("code", {}, "meta.id"), " (the id column's value, or the row's number) to join it back."),
    h("div", { class: "toolbar" }, file, h("label", { class: "lane" }, "Id column ", idColumn)),
    template,
    summary,
    problems,
    preview
  )
}
