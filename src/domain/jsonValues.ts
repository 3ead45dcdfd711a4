/**
 * How many values a JSON text can parse into, counted without parsing it. What a parse holds in
 * memory grows with its values (each object, string and number is a heap object of its own), not
 * with its bytes: `[{},{},…]` costs ~20 heap bytes per body byte. Counting first bounds what a
 * parse may cost before it is paid.
 *
 * Every value but the first of a container follows a comma, so containers + commas + 1 is an upper
 * bound (exact when no container is empty). Quotes and backslashes never occur inside a UTF-8
 * multi-byte sequence, so bytes and UTF-16 text are scanned alike. Counting stops past `limit`.
 */

const quote = 0x22
const backslash = 0x5c
const comma = 0x2c
const openBrace = 0x7b
const openBracket = 0x5b

export const jsonValuesIn = (json: Uint8Array | string, limit: number): number => {
  const bytes = typeof json === "string" ? undefined : json
  const text = typeof json === "string" ? json : ""
  const length = bytes === undefined ? text.length : bytes.length
  let count = 1
  let inString = false
  let escaped = false
  for (let i = 0; i < length && count <= limit; i++) {
    const c = bytes === undefined ? text.charCodeAt(i) : bytes[i]!
    if (inString) {
      if (escaped) escaped = false
      else if (c === backslash) escaped = true
      else if (c === quote) inString = false
    } else if (c === quote) inString = true
    else if (c === comma || c === openBrace || c === openBracket) count++
  }
  return count
}
