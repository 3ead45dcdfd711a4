/**
 * What the page exposes for its browser tests (and anyone curious in the dev tools): the graph's
 * nodes as drawn, and where each one is on screen, so a test clicks the canvas like a person does.
 * No DOM types here: the tests (compiled for Node) import these types.
 */
import type { NodeStatus, StatusCounts } from "./graph/model.ts"

export interface GraphSnapshot {
  readonly nodes: ReadonlyArray<{
    readonly id: string
    readonly kind: "question" | "block"
    /** A question's status; a block's most frequent status. */
    readonly status: NodeStatus
    /** A block's questions by status. */
    readonly mix?: StatusCounts
  }>
  readonly edges: ReadonlyArray<{ readonly source: string; readonly target: string }>
  readonly counts: StatusCounts
}

export interface Point {
  readonly x: number
  readonly y: number
}

export interface ConsoleHooks {
  /** The graph on screen, or null when the page has none. */
  readonly graph: () => GraphSnapshot | null
  /** Where a node (`q<index>` or `block-<k>`) is, in client pixels, or null. */
  readonly clientPoint: (id: string) => Point | null
}

declare global {
  var llmBatchConsole: ConsoleHooks | undefined
}

let shown: ConsoleHooks | null = null

/** The graph now on screen (null when it goes). */
export const exposeGraph = (graph: ConsoleHooks | null): void => {
  shown = graph
}

globalThis.llmBatchConsole = {
  graph: () => shown?.graph() ?? null,
  clientPoint: (id) => shown?.clientPoint(id) ?? null
}
