/**
 * `{Q<n>_result}` and `{Q<n>_result.path.to.field}`: finding the references in a prompt and
 * replacing them with earlier answers.
 */
import { Predicate } from "effect"

const pattern = /\{Q(-?\d+)_result((?:\.[A-Za-z0-9_$-]+)*)\}/g

export interface Reference {
  readonly text: string
  readonly index: number
  readonly path: ReadonlyArray<string>
}

export const findReferences = (question: string): ReadonlyArray<Reference> =>
  Array.from(question.matchAll(pattern), (match) => ({
    text: match[0],
    index: Number(match[1]),
    path: match[2] ? match[2].slice(1).split(".") : []
  }))

/** A string as is; anything else as compact JSON. */
export const renderResult = (value: unknown): string =>
  Predicate.isString(value) ? value : JSON.stringify(value)

const walk = (value: unknown, path: ReadonlyArray<string>): { readonly found: boolean; readonly value: unknown } => {
  let current = value
  for (const key of path) {
    if (Array.isArray(current) && /^\d+$/.test(key) && Number(key) < current.length) {
      current = current[Number(key)]
    } else if (Predicate.isObject(current) && !Array.isArray(current) && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key]
    } else {
      return { found: false, value: undefined }
    }
  }
  return { found: true, value: current }
}

/**
 * Replaces every reference with its answer. Fails with a readable message when a field path does
 * not exist in the answer it points into, or when the prompt would grow past `maxChars`.
 */
export const substitute = (
  question: string,
  results: ReadonlyMap<number, unknown>,
  maxChars: number
): { readonly _tag: "Ok"; readonly text: string } | { readonly _tag: "Error"; readonly message: string } => {
  let missing: string | undefined
  // Checked as we go, so one answer substituted many times never builds a huge string first.
  let length = question.length
  const text = question.replace(pattern, (whole, index: string, path: string) => {
    if (missing !== undefined) return whole
    const result = results.get(Number(index))
    const located = walk(result, path ? path.slice(1).split(".") : [])
    if (!located.found) {
      missing ??= `${whole}: question ${index}'s answer has no field '${path.slice(1)}'`
      return whole
    }
    const rendered = renderResult(located.value)
    length += rendered.length - whole.length
    if (length > maxChars) {
      missing = `the prompt with earlier answers substituted exceeds ${maxChars} characters (MAX_QUESTION_CHARS)`
      return whole
    }
    return rendered
  })
  return missing === undefined ? { _tag: "Ok", text } : { _tag: "Error", message: missing }
}
