/**
 * Which questions each question waits for (repo_docs/contract.md, *Execution*): the nearest
 * `sequential` question before a `sequential` one, and every question its prompt names with
 * `{Q<n>_result}`. Pure, so the planner and the web console draw the same graph.
 */
import type { QuestionItem } from "../domain/Batch.ts"
import { findReferences, type Reference } from "./placeholders.ts"

export interface Dependencies {
  /** Indexes this question waits for, each once: the sequential predecessor first, then references in order. */
  readonly dependsOn: ReadonlyArray<number>
  /** Its `{Q<n>_result}` references, including any to an index not in the batch (the planner refuses those). */
  readonly references: ReadonlyArray<Reference>
}

/** One entry per question, by position. */
export const dependenciesOf = (
  questions: ReadonlyArray<Pick<QuestionItem, "index" | "method" | "question">>
): ReadonlyArray<Dependencies> => {
  let previousSequential: number | undefined
  return questions.map((item) => {
    const dependsOn = new Set<number>()
    if (item.method === "sequential") {
      if (previousSequential !== undefined) dependsOn.add(previousSequential)
      previousSequential = item.index
    }
    const references = findReferences(item.question)
    for (const reference of references) dependsOn.add(reference.index)
    return { dependsOn: [...dependsOn], references }
  })
}
