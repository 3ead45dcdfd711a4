/**
 * A batch as a graph: its questions, the dependencies the engine follows (the planner's own
 * `dependenciesOf`), the results so far, and each question's status. Questions that neither wait
 * for nor feed another are "isolated"; past `aggregateAbove` of them they are grouped into blocks,
 * so a 50,000-question job is a few hundred graph nodes, not 50,000. Past `layoutAbove` questions
 * with dependencies, those are grouped in request order too ("linked" blocks, with an edge where a
 * member of one waits for a member of another): a layered layout of thousands of nodes takes
 * seconds, and dagre's recursion overflows the stack on a chain of a couple of thousand.
 */
import type { QuestionItem, ResultItem } from "../../../src/domain/Batch.ts"
import { dependenciesOf } from "../../../src/batch/dependencies.ts"
import { wasSkipped } from "../../../src/batch/notSent.ts"

export const statuses = ["pending", "running", "succeeded", "failed", "skipped"] as const
export type NodeStatus = (typeof statuses)[number]

export type StatusCounts = Record<NodeStatus, number>

export const emptyCounts = (): StatusCounts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0 })

export interface Block {
  readonly id: string
  /** Question indexes, in request order. */
  readonly members: ReadonlyArray<number>
  /** Its questions have dependencies: it is laid out with the graph, with edges, not in the grid. */
  readonly linked: boolean
}

/** Isolated questions are drawn one by one up to this many, in blocks beyond. */
export const aggregateAbove = 100
/** Questions with dependencies are drawn one by one up to this many, in linked blocks beyond. */
export const layoutAbove = 500
/** Blocks are at least this big, and there are at most `maxBlocks` of them. */
const minBlockSize = 100
const maxBlocks = 200

export const blockLabel = (block: Block): string =>
  `Q${block.members[0]}–Q${block.members[block.members.length - 1]} (${block.members.length})`

/** A block's label on the graph: short enough not to run into its neighbours' (the count is in its details). */
export const blockShortLabel = (block: Block): string =>
  `Q${block.members[0]}–${block.members[block.members.length - 1]}`

export class GraphModel {
  readonly questions: ReadonlyMap<number, QuestionItem>
  readonly dependsOn: ReadonlyMap<number, ReadonlyArray<number>>
  readonly dependents: ReadonlyMap<number, ReadonlyArray<number>>
  /** Questions with an edge drawn one by one and laid out as a graph (none when they are aggregated). */
  readonly connected: ReadonlyArray<number>
  /** Isolated questions drawn one by one (none when they are aggregated). */
  readonly loose: ReadonlyArray<number>
  readonly blocks: ReadonlyArray<Block>
  readonly blockOf: ReadonlyMap<number, Block>
  /** Between linked blocks: `[from, to]` block ids, each pair once. */
  readonly blockEdges: ReadonlyArray<readonly [string, string]>
  private readonly results = new Map<number, ResultItem>()
  /**
   * Whether the batch is being worked on (a running job, a stream open): a question whose
   * dependencies have all succeeded is then "running" — sent, or waiting for an upstream slot —
   * rather than "pending".
   */
  active = false

  constructor(items: ReadonlyArray<QuestionItem>) {
    const deps = dependenciesOf(items)
    const questions = new Map<number, QuestionItem>()
    const dependsOn = new Map<number, ReadonlyArray<number>>()
    const dependents = new Map<number, Array<number>>()
    for (const [position, item] of items.entries()) {
      questions.set(item.index, item)
      dependsOn.set(item.index, deps[position]!.dependsOn)
    }
    for (const [index, on] of dependsOn) {
      for (const dependency of on) {
        if (!questions.has(dependency)) continue
        const list = dependents.get(dependency) ?? []
        list.push(index)
        dependents.set(dependency, list)
      }
    }
    const connected: Array<number> = []
    const isolated: Array<number> = []
    for (const item of items) {
      const hasEdge = (dependsOn.get(item.index)?.length ?? 0) > 0 || dependents.has(item.index)
      ;(hasEdge ? connected : isolated).push(item.index)
    }
    this.questions = questions
    this.dependsOn = dependsOn
    this.dependents = dependents
    const linked = connected.length > layoutAbove
    const aggregated = isolated.length > aggregateAbove
    this.connected = linked ? [] : connected
    this.loose = aggregated ? [] : isolated
    const blocks: Array<Block> = []
    const blockOf = new Map<number, Block>()
    const group = (indexes: ReadonlyArray<number>, isLinked: boolean) => {
      const size = Math.max(minBlockSize, Math.ceil(indexes.length / maxBlocks))
      for (let start = 0; start < indexes.length; start += size) {
        const block = { id: `block-${blocks.length}`, members: indexes.slice(start, start + size), linked: isLinked }
        blocks.push(block)
        for (const index of block.members) blockOf.set(index, block)
      }
    }
    if (linked) group(connected, true)
    if (aggregated) group(isolated, false)
    const blockEdges = new Map<string, readonly [string, string]>()
    if (linked) {
      for (const index of connected) {
        const to = blockOf.get(index)!.id
        for (const dependency of dependsOn.get(index) ?? []) {
          const from = blockOf.get(dependency)?.id
          if (from !== undefined && from !== to) blockEdges.set(`${from}->${to}`, [from, to])
        }
      }
    }
    this.blocks = blocks
    this.blockOf = blockOf
    this.blockEdges = [...blockEdges.values()]
  }

  get size(): number {
    return this.questions.size
  }

  result(index: number): ResultItem | undefined {
    return this.results.get(index)
  }

  /** Records a result; returns the questions whose status may have changed (it and its dependents). */
  addResult(result: ResultItem): ReadonlyArray<number> {
    this.results.set(result.index, result)
    return [result.index, ...(this.dependents.get(result.index) ?? [])]
  }

  status(index: number): NodeStatus {
    const result = this.results.get(index)
    if (result !== undefined) {
      return result.status === "success" ? "succeeded" : wasSkipped(result) ? "skipped" : "failed"
    }
    if (!this.active) return "pending"
    const ready = (this.dependsOn.get(index) ?? []).every((dependency) =>
      this.results.get(dependency)?.status === "success"
    )
    return ready ? "running" : "pending"
  }

  countsOf(indexes: Iterable<number>): StatusCounts {
    const counts = emptyCounts()
    for (const index of indexes) counts[this.status(index)] += 1
    return counts
  }

  counts(): StatusCounts {
    return this.countsOf(this.questions.keys())
  }

  /** Questions whose result has an unknown cost (null), in index order: why a job's cost is unknown. */
  unknownCosts(): ReadonlyArray<number> {
    return [...this.results.values()].filter((result) => result.cost_usd === null).map((result) => result.index)
      .sort((a, b) => a - b)
  }

  /** Every result so far keyed by index, for `substitute`. */
  answers(): ReadonlyMap<number, unknown> {
    const answers = new Map<number, unknown>()
    for (const [index, result] of this.results) if (result.status === "success") answers.set(index, result.result)
    return answers
  }
}
