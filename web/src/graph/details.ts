/**
 * The panel beside the graph: a question's prompt (with earlier answers substituted, by the
 * engine's own `substitute`), its answer or error and what it cost; or a block's questions.
 */
import type { ResultItem } from "../../../src/domain/Batch.ts"
import { renderResult } from "../../../src/batch/placeholders.ts"
import { h, replace } from "../dom.ts"
import { count, duration, resultCost, tokens } from "../format.ts"
import { blockLabel, type GraphModel } from "./model.ts"
import { prompt } from "./prompt.ts"
import type { Selection } from "./view.ts"

const statusBadge = (model: GraphModel, index: number) => {
  const status = model.status(index)
  return h("span", { class: `badge status-${status}`, "data-status": status }, status)
}

const questionLink = (model: GraphModel, index: number, select: (index: number) => void) =>
  h("button", { type: "button", class: `link status-dot-${model.status(index)}`, onclick: () => select(index) }, `Q${index}`)

const answer = (result: ResultItem) =>
  result.status === "success"
    ? h("pre", { class: "answer", "data-testid": "answer" },
      typeof result.result === "string" ? result.result : JSON.stringify(result.result, null, 2))
    : h("pre", { class: "answer error", "data-testid": "error" }, result.error_message ?? "error")

const facts = (result: ResultItem) => {
  const rows: Array<[string, string]> = [
    ["model", result.model],
    ...(result.models_tried.length > 1 ? [["models tried", result.models_tried.join(" → ")] satisfies [string, string]] : []),
    ["attempts", `${result.attempts}${result.retry_count > 0 ? ` (${result.retry_count} repairs)` : ""}`],
    ["tokens", tokens(result.usage)],
    ["cost", resultCost(result)],
    ["time", duration(result.latency_ms)],
    ["cached", result.cached ? "yes" : "no"],
    ["lane", result.lane],
    ...(result.finish_reason === null ? [] : [["finish", result.finish_reason] satisfies [string, string]])
  ]
  return h("dl", { class: "facts" }, rows.map(([name, value]) => [h("dt", {}, name), h("dd", { "data-fact": name }, value)]))
}

const questionDetails = (model: GraphModel, index: number, select: (index: number) => void) => {
  const item = model.questions.get(index)
  const result = model.result(index)
  const { text, note } = prompt(model, index)
  const dependsOn = model.dependsOn.get(index) ?? []
  const dependents = model.dependents.get(index) ?? []
  return [
    h("h2", {}, `Q${index} `, statusBadge(model, index)),
    item?.system ? [h("h3", {}, "System"), h("pre", { class: "prompt" }, item.system)] : null,
    h("h3", {}, "Prompt"),
    h("pre", { class: "prompt", "data-testid": "prompt" }, text),
    note === undefined ? null : h("p", { class: "note" }, note),
    result === undefined
      ? h("p", { class: "note" }, model.status(index) === "running" ? "Asking…" : "No answer yet.")
      : [h("h3", {}, result.status === "success" ? "Answer" : "Error"), answer(result), facts(result)],
    result?.last_response === undefined ? null : [h("h3", {}, "Last answer"), h("pre", { class: "prompt" }, result.last_response)],
    dependsOn.length === 0 ? null : h("p", {}, "Waits for ", dependsOn.map((d) => questionLink(model, d, select))),
    dependents.length === 0 ? null : h("p", {}, "Feeds ", dependents.map((d) => questionLink(model, d, select)))
  ]
}

/** At most this many of a block's questions are listed; the rest by count. */
const listed = 500

const blockDetails = (model: GraphModel, selection: Extract<Selection, { kind: "block" }>, select: (index: number) => void) => {
  const mix = model.countsOf(selection.block.members)
  const members = selection.block.members
  return [
    h("h2", {}, blockLabel(selection.block)),
    h("p", {}, Object.entries(mix).filter(([, n]) => n > 0).map(([status, n]) =>
      h("span", { class: `badge status-${status}` }, `${count(n)} ${status}`))),
    h("ul", { class: "members", "data-testid": "block-members" }, members.slice(0, listed).map((index) => {
      const result = model.result(index)
      return h("li", {}, questionLink(model, index, select), " ",
        h("span", { class: "summary" }, result === undefined ? model.status(index) :
          result.status === "success" ? renderResult(result.result).slice(0, 80) : result.error_message?.slice(0, 80) ?? ""))
    })),
    members.length > listed ? h("p", { class: "note" }, `… and ${count(members.length - listed)} more`) : null
  ]
}

export const renderDetails = (
  panel: HTMLElement,
  model: GraphModel,
  selection: Selection | undefined,
  select: (index: number) => void
): void => {
  if (selection === undefined) {
    replace(panel, h("p", { class: "note" }, "Click a question (or a block of questions) for its prompt and answer."))
  } else if (selection.kind === "question") {
    replace(panel, questionDetails(model, selection.index, select))
  } else {
    replace(panel, blockDetails(model, selection, select))
  }
}
