/**
 * A graph that fills in as results arrive: the legend of status counts, the graph, and the details
 * panel. Results are applied at most every `flushMs`, in one redraw, so a stream of thousands of
 * results a second does not redraw thousands of times.
 */
import type { ResultItem } from "../../../src/domain/Batch.ts"
import { h, replace } from "../dom.ts"
import { count } from "../format.ts"
import { exposeGraph } from "../hooks.ts"
import { renderDetails } from "./details.ts"
import { type GraphModel, statuses } from "./model.ts"
import { drawGraph, type GraphView, type Selection } from "./view.ts"

const flushMs = 150

export interface LiveGraph {
  readonly element: HTMLElement
  readonly add: (result: ResultItem) => void
  /** Whether work is going on (see GraphModel.active). */
  readonly setActive: (active: boolean) => void
  readonly destroy: () => void
}

/** Builds the elements; the graph is drawn once `element` is in the document (it needs a size). */
export const liveGraph = (model: GraphModel): LiveGraph & { readonly mount: () => void } => {
  const legend = h("ul", { class: "legend", "data-testid": "legend" })
  const canvas = h("div", { class: "graph", "data-testid": "graph" })
  const panel = h("aside", { class: "details", "data-testid": "details" })
  const element = h("section", { class: "graph-view" }, legend, h("div", { class: "graph-and-details" }, canvas, panel))
  let view: GraphView | undefined
  let selection: Selection | undefined
  const changed = new Set<number>()
  let all = false
  let timer: ReturnType<typeof setTimeout> | undefined

  // What the legend shows, counted at each redraw (the model may be ahead until the next flush).
  let shownCounts = model.counts()
  const drawLegend = () => {
    const counts = shownCounts = model.counts()
    replace(legend, statuses.map((status) =>
      h("li", { class: `status-${status}`, "data-status": status, "data-count": counts[status] },
        h("span", { class: "swatch" }), h("b", {}, count(counts[status])), ` ${status}`)
    ))
  }
  const showDetails = () => renderDetails(panel, model, selection, select)
  const select = (index: number) => {
    selection = { kind: "question", index }
    view?.highlight(index)
    showDetails()
  }

  const flush = () => {
    timer = undefined
    view?.refresh(all ? undefined : changed)
    const selected = selection
    if (
      all || selected !== undefined &&
        (selected.kind === "question" ? changed.has(selected.index) : selected.block.members.some((i) => changed.has(i)))
    ) showDetails()
    changed.clear()
    all = false
    drawLegend()
  }
  const schedule = () => {
    timer ??= setTimeout(flush, flushMs)
  }

  drawLegend()
  showDetails()
  return {
    element,
    mount: () => {
      view = drawGraph(canvas, model, (chosen) => {
        selection = chosen
        showDetails()
      })
      exposeGraph({
        graph: () => view === undefined ? null : { ...view.snapshot(), counts: { ...shownCounts } },
        clientPoint: (id) => view?.clientPoint(id) ?? null
      })
    },
    add: (result) => {
      for (const index of model.addResult(result)) changed.add(index)
      schedule()
    },
    setActive: (active) => {
      if (model.active === active) return
      model.active = active
      all = true
      schedule()
    },
    destroy: () => {
      if (timer !== undefined) clearTimeout(timer)
      exposeGraph(null)
      view?.destroy()
    }
  }
}
