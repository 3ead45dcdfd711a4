/**
 * The error results of questions that were never sent because of something else: a failed
 * dependency, or a cancelled job. The engine and the job runner write these messages; the web
 * console reads them to grey such questions out ("skipped") rather than mark them failed.
 */
import type { ResultItem } from "../domain/Batch.ts"

const skippedPrefix = "not sent: it depends on question"

/** A cancelled job's questions that had no result yet. */
export const cancelledMessage = "cancelled"

/** Names the failure at the root of a chain, so long chains do not nest their messages. */
export const skippedBecause = (failed: ResultItem): string =>
  failed.error_message?.startsWith(skippedPrefix)
    ? failed.error_message
    : `${skippedPrefix} ${failed.index}, which failed: ${failed.error_message}`

/** Whether an error result is one of these (a dependency failed, or the job was cancelled first). */
export const wasSkipped = (result: Pick<ResultItem, "status" | "error_message" | "attempts">): boolean =>
  result.status === "error" && result.attempts === 0 &&
  (result.error_message?.startsWith(skippedPrefix) === true || result.error_message === cancelledMessage)
