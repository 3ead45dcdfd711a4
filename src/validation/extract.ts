/**
 * Finds the JSON in a model's answer: the whole text, the inside of Markdown code fences, or a
 * balanced `{…}` / `[…]` span inside prose. Pure; no Effect needed.
 */
import type { Json } from "effect/Schema"

/** Bounds the prose scan so a pathological answer (`[[[[…`) cannot cost quadratic time. */
const maxSpanStarts = 64
const maxCandidates = 16

const fence = /```[A-Za-z0-9_-]*[^\S\n]*\n?([\s\S]*?)```/g

const parse = (text: string): { readonly ok: true; readonly value: Json } | { readonly ok: false } => {
  try {
    const value: Json = JSON.parse(text)
    return { ok: true, value }
  } catch {
    return { ok: false }
  }
}

/**
 * End index (exclusive) of the balanced span that opens at `start`, or undefined when the
 * brackets never balance. Brackets inside JSON strings do not count.
 */
const spanEnd = (text: string, start: number): number | undefined => {
  const closers: Array<string> = []
  let inString = false
  for (let i = start; i < text.length; i++) {
    const char = text[i]!
    if (inString) {
      if (char === "\\") i++
      else if (char === "\"") inString = false
    } else if (char === "\"") {
      inString = true
    } else if (char === "{" || char === "[") {
      closers.push(char === "{" ? "}" : "]")
    } else if (char === "}" || char === "]") {
      if (closers.pop() !== char) return undefined
      if (closers.length === 0) return i + 1
    }
  }
  return undefined
}

/** Balanced object/array spans in prose, left to right, that parse as JSON. */
const spansIn = (text: string): Array<Json> => {
  const found: Array<Json> = []
  let starts = 0
  for (let i = 0; i < text.length && starts < maxSpanStarts && found.length < maxCandidates; i++) {
    const char = text[i]
    if (char !== "{" && char !== "[") continue
    starts++
    const end = spanEnd(text, i)
    if (end === undefined) continue
    const parsed = parse(text.slice(i, end))
    if (parsed.ok) {
      found.push(parsed.value)
      i = end - 1
    }
  }
  return found
}

/**
 * Every JSON value the answer plausibly meant, most likely first: the whole answer, then fenced
 * blocks, then spans found in prose. Empty when the answer holds no JSON at all.
 */
export const jsonCandidates = (text: string): ReadonlyArray<Json> => {
  const whole = parse(text.trim())
  if (whole.ok) return [whole.value]
  const candidates: Array<Json> = []
  for (const match of text.matchAll(fence)) {
    const inner = parse(match[1]!.trim())
    if (inner.ok) candidates.push(inner.value)
    else candidates.push(...spansIn(match[1]!))
  }
  if (candidates.length > 0) return candidates.slice(0, maxCandidates)
  return spansIn(text)
}
