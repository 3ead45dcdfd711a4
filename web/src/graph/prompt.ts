/** A question's prompt as the details panel shows it (no DOM here: tested in Node). */
import { findReferences, substitute } from "../../../src/batch/placeholders.ts"
import { questionList } from "../format.ts"
import type { GraphModel } from "./model.ts"

/**
 * The prompt as it was (or will be) sent; placeholders stay until every answer they name is in,
 * and for good when one of those questions failed or was not sent.
 */
export const prompt = (model: GraphModel, index: number): { readonly text: string; readonly note?: string } => {
  const question = model.questions.get(index)?.question ?? ""
  const references = findReferences(question)
  if (references.length === 0) return { text: question }
  const answers = model.answers()
  const waiting = [...new Set(references.map((r) => r.index))].filter((r) => !answers.has(r))
  const failed = waiting.filter((r) => model.status(r) === "failed")
  const skipped = waiting.filter((r) => model.status(r) === "skipped")
  if (failed.length > 0 || skipped.length > 0) {
    const reasons = [
      failed.length > 0 ? `${questionList(failed)} failed` : "",
      skipped.length > 0 ? `${questionList(skipped)} ${skipped.length === 1 ? "was" : "were"} not sent` : ""
    ].filter((reason) => reason !== "")
    return { text: question, note: `Not sent: ${reasons.join(", ")}.` }
  }
  if (waiting.length > 0) {
    return {
      text: question,
      note: `Placeholders are filled in once ${questionList(waiting)} ${waiting.length === 1 ? "answers" : "answer"}.`
    }
  }
  const substituted = substitute(question, answers, Number.MAX_SAFE_INTEGER)
  return substituted._tag === "Ok"
    ? { text: substituted.text, note: "With earlier answers substituted." }
    : { text: question, note: substituted.message }
}
