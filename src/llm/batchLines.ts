/** Reading a provider's results: each line decoded on its own; a line we cannot read is left out (the lane asks again for it). */
import { Exit, Schema } from "effect"
import type { LineResult } from "./batchApi.ts"

export const resultLines = <S extends Schema.ConstraintDecoder<unknown>>(
  lines: Iterable<unknown>,
  schema: S,
  toResult: (line: S["Type"]) => LineResult
): ReadonlyArray<LineResult> => {
  const decode = Schema.decodeUnknownExit(schema)
  const results: Array<LineResult> = []
  for (const line of lines) {
    const exit = decode(line)
    if (Exit.isSuccess(exit)) results.push(toResult(exit.value))
  }
  return results
}

/** The non-empty lines of a JSONL text. */
export const jsonlLines = (text: string): ReadonlyArray<string> => text.split("\n").filter((line) => line.trim() !== "")
