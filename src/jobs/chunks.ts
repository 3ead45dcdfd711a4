/**
 * How a job is cut into chunks, its durable steps. The plan is ordered by dependency depth (a
 * question with no dependency has depth 0, the others one more than their deepest dependency), then
 * by request position, and cut every `size` questions: every dependency of a question then sits in
 * an earlier chunk or in its own, so a chunk can run as soon as the chunks it references are done.
 */
import type { CheckedItem } from "../batch/plan.ts"

export interface Chunking {
  /** The chunk of each question, by request position. */
  readonly chunkOf: ReadonlyArray<number>
  /** For each chunk, the earlier chunks its questions depend on (ascending). */
  readonly chunkDependencies: ReadonlyArray<ReadonlyArray<number>>
}

/**
 * Each question's dependency depth, by request position: 0 without dependencies, else one more
 * than its deepest dependency. `plan` must be acyclic (planBatch checked it). Kahn's algorithm,
 * without recursion: a sequential chain can be a job long.
 */
export const dependencyDepths = (plan: ReadonlyArray<CheckedItem>): ReadonlyArray<number> => {
  const positionOf = new Map<number, number>()
  for (const [position, { item }] of plan.entries()) positionOf.set(item.index, position)
  const dependents: Array<Array<number>> = plan.map(() => [])
  const waiting = plan.map(({ dependsOn }) => dependsOn.length)
  for (const [position, { dependsOn }] of plan.entries()) {
    for (const index of dependsOn) dependents[positionOf.get(index)!]!.push(position)
  }
  const depth = new Array<number>(plan.length).fill(0)
  const ready: Array<number> = []
  for (const [position, count] of waiting.entries()) if (count === 0) ready.push(position)
  for (let next = 0; next < ready.length; next++) {
    const position = ready[next]!
    for (const dependent of dependents[position]!) {
      depth[dependent] = Math.max(depth[dependent]!, depth[position]! + 1)
      if (--waiting[dependent]! === 0) ready.push(dependent)
    }
  }
  return depth
}

/** How many waves the plan runs in: its deepest chain's length (0 for an empty plan). */
export const waveCount = (depths: ReadonlyArray<number>): number =>
  depths.reduce((deepest, depth) => Math.max(deepest, depth + 1), 0)

/** `plan` must be acyclic (planBatch checked it). */
export const chunkPlan = (plan: ReadonlyArray<CheckedItem>, size: number): Chunking => {
  const positionOf = new Map<number, number>()
  for (const [position, { item }] of plan.entries()) positionOf.set(item.index, position)
  const depth = dependencyDepths(plan)

  const order = plan.map((_, position) => position).sort((a, b) => depth[a]! - depth[b]! || a - b)
  const chunkOf = new Array<number>(plan.length)
  for (const [rank, position] of order.entries()) chunkOf[position] = Math.floor(rank / size)

  const dependencies: Array<Set<number>> = Array.from({ length: Math.ceil(plan.length / size) }, () => new Set())
  for (const [position, { dependsOn }] of plan.entries()) {
    const chunk = chunkOf[position]!
    for (const index of dependsOn) {
      const other = chunkOf[positionOf.get(index)!]!
      if (other !== chunk) dependencies[chunk]!.add(other)
    }
  }
  return { chunkOf, chunkDependencies: dependencies.map((set) => [...set].sort((a, b) => a - b)) }
}
