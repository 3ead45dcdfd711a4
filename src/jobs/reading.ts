/**
 * How a job's results are read, page by page from the store, by every surface (HTTP, RPC, MCP,
 * and through HTTP the CLI and the console). Every reader sees every result exactly once: results
 * are paged by their position, which has no gap and follows commit order (store.ts `recordAll`).
 */
import { Duration, Effect, Option, Stream } from "effect"
import type { ResultItem } from "../domain/Batch.ts"
import { finishedStatuses, type Job, type JobResultsPage } from "../domain/Job.ts"
import type { JobStore } from "./store.ts"

type Store = JobStore["Service"]

/** Results read per query when streaming. */
export const pageSize = 500
/** How often a follower looks for new results once it has read them all. */
const followInterval = Duration.millis(200)

/**
 * The job's results in finishing order, from the first; with `follow`, until the job has ended *and*
 * this reader has every result it stored. A reader that has read up to position n has read n results.
 */
export const readResults = (store: Store, id: string, options: { readonly follow: boolean }) =>
  Stream.paginate(0, (after: number) =>
    Effect.gen(function*() {
      const page = yield* store.resultsAfter(id, after, pageSize)
      const next = (rows: typeof page) => [rows.map((row) => row.result), Option.some(rows.at(-1)!.position)] as const
      if (page.length > 0) return next(page)
      if (!options.follow) return [[] as Array<ResultItem>, Option.none<number>()] as const
      // Read before the page below: once it says the job has ended, what it counts is visible to that page.
      const progress = yield* store.progress(id)
      const again = yield* store.resultsAfter(id, after, pageSize)
      if (again.length > 0) return next(again)
      if (progress === undefined || (finishedStatuses.has(progress.status) && after >= progress.stored)) {
        return [[] as Array<ResultItem>, Option.none<number>()] as const
      }
      yield* Effect.sleep(followInterval)
      return [[] as Array<ResultItem>, Option.some(after)] as const
    })
  )

/** A page of results from `offset` (MCP's `batch_results`); `job` was read before it. */
export const readResultsPage = Effect.fnUntraced(function*(
  store: Store,
  job: Job,
  page: { readonly offset: number; readonly limit: number }
) {
  const results = yield* store.resultsAt(job.id, page.offset, page.limit)
  const next = page.offset + results.length
  const done = finishedStatuses.has(job.status) && next >= job.counts.total - job.counts.pending
  return { results, next_offset: done ? null : next } satisfies JobResultsPage
})
