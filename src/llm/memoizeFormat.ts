/** Conversions of a `ResponseFormat` run once per format (a registered model's once per process), not once per call. */
import type { ResponseFormat } from "./types.ts"

export const memoizeFormat = <A>(convert: (format: ResponseFormat) => A) => {
  const done = new WeakMap<ResponseFormat, { readonly value: A }>()
  return (format: ResponseFormat): A => {
    const hit = done.get(format)
    if (hit !== undefined) return hit.value
    const value = convert(format)
    done.set(format, { value })
    return value
  }
}
