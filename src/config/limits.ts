/**
 * The request limits and the heap they run in, derived one from the other (docs/security.md,
 * *Limits*). One request's parse and plan may hold at most:
 *
 *   2 × body bytes (the text, and the strings the parse keeps)
 *   + `bytesPerJsonValue` × JSON values (each object, array, string or number of the parse and its
 *     decoded copy)
 *   + `bytesPerQuestion` × questions (the decoded question, its graph node and chunk)
 *
 * measured on a job submit of each shape (tiny questions, long prompts, distinct inline schemas,
 * `[{},{},…]` padding; bench figures in docs/security.md). The defaults of MAX_JOB_BODY_BYTES and
 * MAX_JSON_VALUES give one such request `requestHeapShare` of the heap; the rest is the service's
 * own (~60 MB), the requests in flight and the garbage collector's room. Limits set by hand that
 * would let one request need more than `maxHeapShare` of the heap refuse to start.
 */
import { getHeapStatistics } from "node:v8"

export const bytesPerJsonValue = 100
export const bytesPerQuestion = 300
export const requestHeapShare = 0.4
export const maxHeapShare = 0.6

const mebibyte = 1024 * 1024
/** The defaults never exceed these, however large the heap: a request is not a bulk import. */
const maxDefaultJobBodyBytes = 64 * mebibyte
const maxDefaultJsonValues = 4_000_000

/** What V8 lets the heap grow to (`--max-old-space-size` and the young generation). */
export const heapLimitBytes = (): number => getHeapStatistics().heap_size_limit

export interface RequestLimits {
  readonly maxBodyBytes: number
  readonly maxJobBodyBytes: number
  readonly maxJsonValues: number
  readonly maxJobSize: number
}

/** The most heap one request within `limits` may hold (the formula above). */
export const requestHeapNeed = (limits: RequestLimits): number =>
  2 * Math.max(limits.maxBodyBytes, limits.maxJobBodyBytes) +
  bytesPerJsonValue * limits.maxJsonValues +
  bytesPerQuestion * limits.maxJobSize

/**
 * Defaults for a heap of `heapBytes` and `maxJobSize` questions: what the questions leave of
 * `requestHeapShare` of the heap, half for body bytes and half for JSON values.
 */
export const defaultRequestLimits = (heapBytes: number, maxJobSize: number) => {
  const budget = Math.max(0, heapBytes * requestHeapShare - bytesPerQuestion * maxJobSize)
  return {
    maxJobBodyBytes: Math.max(mebibyte, Math.min(maxDefaultJobBodyBytes, Math.floor(budget / 2 / 2))),
    maxJsonValues: Math.max(10_000, Math.min(maxDefaultJsonValues, Math.floor(budget / 2 / bytesPerJsonValue)))
  }
}

const inMiB = (bytes: number) => `${Math.ceil(bytes / mebibyte)} MiB`

/** Why these limits cannot fit this heap, and what to change; undefined when they fit. */
export const limitsMisfit = (limits: RequestLimits, heapBytes: number): string | undefined => {
  const need = requestHeapNeed(limits)
  if (need <= heapBytes * maxHeapShare) return undefined
  return `the request limits let one request hold up to ${inMiB(need)} of heap (2 × ` +
    `max(MAX_BODY_BYTES, MAX_JOB_BODY_BYTES) + ${bytesPerJsonValue} × MAX_JSON_VALUES + ${bytesPerQuestion} × ` +
    `MAX_JOB_SIZE), more than ${maxHeapShare * 100} % of this process's heap limit of ${inMiB(heapBytes)}: lower ` +
    "those limits (unset, MAX_JOB_BODY_BYTES and MAX_JSON_VALUES are derived from the heap), or give the process " +
    "a larger heap (node --max-old-space-size)"
}

/**
 * Heap a question holds while its call waits on a provider batch (its suspended call: measured
 * 13–15 KB with `pnpm bench batchlane`), and the most such questions a process holds at once by
 * default: `requestHeapShare` of the heap. At the shipped 256 MB about 6,900: a 50,000-question job
 * then goes to the provider in batches of that many (docs/jobs.md, *Batch lane*); 15,000 waiting at
 * once exhausted that heap.
 */
export const bytesPerWaitingQuestion = 16 * 1024

export const defaultBatchWaiting = (heapBytes: number): number =>
  Math.max(100, Math.floor((heapBytes * requestHeapShare) / bytesPerWaitingQuestion))
