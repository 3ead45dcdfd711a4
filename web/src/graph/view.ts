/**
 * Draws a GraphModel with Cytoscape.js (canvas: thousands of nodes stay cheap) laid out by dagre:
 * the questions with dependencies as a layered graph, the isolated ones (or their blocks) in a grid
 * under it. Updates touch only the nodes whose status changed.
 */
import dagre from "@dagrejs/dagre"
import cytoscape from "cytoscape"
import type { GraphSnapshot, Point } from "../hooks.ts"
import { type Block, blockShortLabel, type GraphModel, type NodeStatus, type StatusCounts, statuses } from "./model.ts"

export type Selection =
  | { readonly kind: "question"; readonly index: number }
  | { readonly kind: "block"; readonly block: Block }

export interface GraphView {
  /** Re-reads the status of these questions (all when omitted). */
  readonly refresh: (changed?: Iterable<number>) => void
  /** Highlights a question (its block when it is aggregated). */
  readonly highlight: (index: number) => void
  /** The nodes and edges as drawn (the legend's counts are the live graph's). */
  readonly snapshot: () => Omit<GraphSnapshot, "counts">
  /** Where a node is on screen (client pixels), to click it. */
  readonly clientPoint: (id: string) => Point | null
  readonly destroy: () => void
}

export const colours: Record<NodeStatus, string> = {
  pending: "#e2e8f0",
  running: "#2563eb",
  succeeded: "#16a34a",
  failed: "#dc2626",
  skipped: "#6b7280"
}

export const questionId = (index: number) => `q${index}`

const nodeWidth = 52
const nodeHeight = 28
const blockSize = 64
const cell = 76

const dominant = (mix: StatusCounts): NodeStatus =>
  statuses.reduce((best, status) => (mix[status] > mix[best] ? status : best), statuses[0])

/** dagre positions for the connected questions and linked blocks; left to right on a wide screen. */
const layered = (model: GraphModel, wide: boolean): Map<string, { x: number; y: number }> => {
  const graph = new dagre.graphlib.Graph()
  graph.setGraph({ rankdir: wide ? "LR" : "TB", nodesep: 18, ranksep: 46, marginx: 10, marginy: 10 })
  graph.setDefaultEdgeLabel(() => ({}))
  for (const index of model.connected) graph.setNode(questionId(index), { width: nodeWidth, height: nodeHeight })
  for (const block of model.blocks) if (block.linked) graph.setNode(block.id, { width: blockSize, height: blockSize + 16 })
  for (const { source, target } of edgesOf(model)) graph.setEdge(source, target)
  dagre.layout(graph)
  const positions = new Map<string, { x: number; y: number }>()
  for (const id of graph.nodes()) {
    const node = graph.node(id)
    positions.set(id, { x: node.x ?? 0, y: node.y ?? 0 })
  }
  return positions
}

/** The edges drawn: between questions drawn one by one, and between linked blocks. */
const edgesOf = (model: GraphModel): ReadonlyArray<{ readonly source: string; readonly target: string }> => [
  ...model.connected.flatMap((index) =>
    (model.dependsOn.get(index) ?? []).filter((dependency) => model.questions.has(dependency)).map((dependency) => ({
      source: questionId(dependency),
      target: questionId(index)
    }))
  ),
  ...model.blockEdges.map(([source, target]) => ({ source, target }))
]

export const drawGraph = (
  container: HTMLElement,
  model: GraphModel,
  onSelect: (selection: Selection) => void
): GraphView => {
  const mixes = new Map<string, StatusCounts>()
  const mixOf = (id: string) => mixes.get(id) ?? model.countsOf([])
  const share = (status: NodeStatus) => (node: cytoscape.NodeSingular) => {
    const mix = mixOf(node.id())
    const total = statuses.reduce((sum, s) => sum + mix[s], 0)
    return total === 0 ? 0 : (100 * mix[status]) / total
  }
  const big = model.connected.length + model.loose.length > 800

  const elements: Array<cytoscape.ElementDefinition> = []
  for (const index of [...model.connected, ...model.loose]) {
    elements.push({ group: "nodes", data: { id: questionId(index), label: `Q${index}`, kind: "question", status: model.status(index) } })
  }
  for (const block of model.blocks) {
    const mix = model.countsOf(block.members)
    mixes.set(block.id, mix)
    elements.push({ group: "nodes", data: { id: block.id, label: blockShortLabel(block), kind: "block", status: dominant(mix) } })
  }
  for (const { source, target } of edgesOf(model)) {
    elements.push({ group: "edges", data: { id: `${source}->${target}`, source, target } })
  }

  const cy = cytoscape({
    container,
    elements,
    minZoom: 0.05,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autoungrabify: true,
    pixelRatio: 1,
    textureOnViewport: big,
    hideEdgesOnViewport: big,
    style: [
      {
        selector: "node",
        style: {
          shape: "round-rectangle",
          width: nodeWidth,
          height: nodeHeight,
          label: "data(label)",
          "font-size": 11,
          "font-family": "system-ui, sans-serif",
          "text-valign": "center",
          "text-halign": "center",
          color: "#fff",
          "border-width": 1,
          "border-color": "#475569"
        }
      },
      ...statuses.map((status) => ({
        selector: `node[status = "${status}"]`,
        style: { "background-color": colours[status] }
      })),
      { selector: 'node[kind = "question"][status = "pending"]', style: { color: "#334155" } },
      { selector: 'node[kind = "question"][status = "skipped"]', style: { "border-style": "dashed" } },
      {
        selector: 'node[kind = "block"]',
        style: {
          shape: "ellipse",
          width: blockSize,
          height: blockSize,
          "background-color": colours.pending,
          color: "#1e293b",
          "font-size": 10,
          "text-valign": "bottom",
          "text-margin-y": 3,
          "pie-size": "100%",
          ...Object.fromEntries(statuses.flatMap((status, i) => [
            [`pie-${i + 1}-background-color`, colours[status]],
            [`pie-${i + 1}-background-size`, share(status)]
          ]))
        }
      },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#f59e0b" } },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "line-color": "#94a3b8",
          "target-arrow-color": "#94a3b8",
          "target-arrow-shape": "triangle",
          "curve-style": "bezier",
          "arrow-scale": 0.8
        }
      }
    ]
  })

  const layout = () => {
    const wide = container.clientWidth >= container.clientHeight
    const positions = layered(model, wide)
    let bottom = 0
    let width = 0
    for (const { x, y } of positions.values()) {
      bottom = Math.max(bottom, y + blockSize)
      width = Math.max(width, x)
    }
    cy.nodes().filter((node) => positions.has(node.id())).positions((node) => positions.get(node.id()) ?? { x: 0, y: 0 })
    const gridIds = new Set([...model.loose.map(questionId), ...model.blocks.filter((b) => !b.linked).map((b) => b.id)])
    const grid = cy.nodes().filter((node) => gridIds.has(node.id()))
    if (grid.length > 0) {
      // About the screen's shape, and no wider than the graph above it (unless that is narrow).
      const aspect = Math.max(0.5, container.clientWidth / Math.max(1, container.clientHeight))
      const graphColumns = width > 0 ? Math.max(4, Math.floor(width / cell) + 1) : Infinity
      const cols = Math.max(1, Math.min(grid.length, Math.ceil(Math.sqrt(grid.length * aspect)), graphColumns))
      const rows = Math.ceil(grid.length / cols)
      const order = new Map(grid.map((node, i) => [node.id(), i]))
      const top = positions.size === 0 ? 0 : bottom + cell / 2
      grid.layout({
        name: "grid",
        fit: false,
        cols,
        rows,
        boundingBox: { x1: 0, y1: top, w: cols * cell, h: rows * cell },
        position: (node) => {
          const i = order.get(node.id()) ?? 0
          return { row: Math.floor(i / cols), col: i % cols }
        }
      }).run()
    }
    cy.fit(undefined, 24)
    if (cy.zoom() > 1.4) {
      cy.zoom(1.4)
      cy.center()
    }
  }
  layout()

  // Cytoscape caches where its canvas is on the page; content above it that grows or shrinks (a
  // header line, a message) would make clicks land beside the nodes until it re-reads it.
  const moved = new ResizeObserver(() => cy.resize())
  moved.observe(document.body)
  moved.observe(container)

  cy.on("tap", "node", (event: cytoscape.EventObjectNode) => {
    const id = event.target.id()
    const block = model.blocks.find((b) => b.id === id)
    onSelect(block === undefined ? { kind: "question", index: Number(id.slice(1)) } : { kind: "block", block })
  })

  const refresh = (changed?: Iterable<number>) => {
    const indexes = changed ?? model.questions.keys()
    const dirtyBlocks = new Set<Block>()
    cy.batch(() => {
      for (const index of indexes) {
        const block = model.blockOf.get(index)
        if (block !== undefined) {
          dirtyBlocks.add(block)
          continue
        }
        const node = cy.getElementById(questionId(index))
        const status = model.status(index)
        if (node.nonempty() && node.data("status") !== status) node.data("status", status)
      }
      for (const block of dirtyBlocks) {
        const mix = model.countsOf(block.members)
        mixes.set(block.id, mix)
        // A data change is what makes Cytoscape recompute the node's style (its pie).
        cy.getElementById(block.id).data({ status: dominant(mix), mix: statuses.map((s) => mix[s]).join(",") })
      }
    })
  }

  return {
    refresh,
    highlight: (index) => {
      const id = model.blockOf.get(index)?.id ?? questionId(index)
      cy.nodes(":selected").unselect()
      cy.getElementById(id).select()
    },
    snapshot: () => ({
      nodes: cy.nodes().map((node) => {
        const kind = node.data("kind") === "block" ? "block" as const : "question" as const
        const status = statuses.find((s) => s === node.data("status")) ?? "pending"
        const mix = mixes.get(node.id())
        return kind === "block" && mix !== undefined ? { id: node.id(), kind, status, mix: { ...mix } } : { id: node.id(), kind, status }
      }),
      edges: cy.edges().map((edge) => ({ source: edge.source().id(), target: edge.target().id() }))
    }),
    clientPoint: (id) => {
      const node = cy.getElementById(id)
      if (node.empty()) return null
      const box = container.getBoundingClientRect()
      const point = node.renderedPosition()
      return { x: box.left + point.x, y: box.top + point.y }
    },
    destroy: () => {
      moved.disconnect()
      cy.destroy()
    }
  }
}
