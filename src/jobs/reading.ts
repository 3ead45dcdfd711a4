/**
 * How a job's results are read, page by page from the store, by every surface (HTTP, RPC, MCP,
 * and through HTTP the CLI and the console). Every reader sees every result exactly once: results
 * are paged by their position, which has no gap and follows commit order (store.ts `recordAll`).
 */
import { Duration, Effect, Option, Stream } from "effect"
import type { ResultItem } from "../domain/Batch.ts"
import { finishedStatuses, type Job, type JobResultsPage } from "../domain/Job.ts"
import type { ReadTurns } from "./readTurns.ts"
import type { JobStore } from "./store.ts"

type Store = JobStore["Service"]

/**
 * Results read per query when streaming: a page is one reader's turn (readTurns.ts), ~1 ms for 50
 * results, so `/health` and `/ask` wait about that behind any number of readers.
 */
export const pageSize = 50
/** How often a follower looks for new results once it has read them all. */
const followInterval = Duration.millis(200)

/**
 * The job's results in finishing order, from the first; with `follow`, until the job has ended *and*
 * this reader has as many results as the job holds.
 */
export const readResults = (store: Store, id: string, options: { readonly follow: boolean }, turn: ReadTurns) =>
  Stream.paginate({ after: 0, delivered: 0 }, ({ after, delivered }) =>
    Effect.gen(function*() {
      const page = yield* turn(store.resultsAfter(id, after, pageSize))
      const next = (rows: typeof page) =>
        [
          rows.map((row) => row.result),
          Option.some({ after: rows.at(-1)!.position, delivered: delivered + rows.length })
        ] as const
      if (page.length > 0) return next(page)
      const end = [[] as Array<ResultItem>, Option.none()] as const
      if (!options.follow) return end
      // Read before the page below: once it says the job has ended, what it counts is visible to that page.
      // Results are counted only then: a follower waiting on a running job polls its status alone.
      const { again, stored } = yield* turn(Effect.gen(function*() {
        const state = yield* store.state(id)
        const ended = state === undefined || finishedStatuses.has(state.status)
        const stored = ended ? yield* store.storedCount(id) : undefined
        return { stored, again: yield* store.resultsAfter(id, after, pageSize) }
      }))
      if (again.length > 0) return next(again)
      if (stored !== undefined && delivered >= stored) return end
      yield* Effect.sleep(followInterval)
      return [[] as Array<ResultItem>, Option.some({ after, delivered })] as const
    })
  )

/**
 * A page of results after `offset`, a position (MCP's `batch_results`: 0, then each page's
 * `next_offset`); `job` was read before it, so once it has ended a short page is the last.
 */
export const readResultsPage = Effect.fnUntraced(function*(
  store: Store,
  job: Job,
  page: { readonly offset: number; readonly limit: number },
  turn: ReadTurns
) {
  const rows = yield* turn(store.resultsAfter(job.id, page.offset, page.limit))
  const done = finishedStatuses.has(job.status) && rows.length < page.limit
  return {
    results: rows.map((row) => row.result),
    next_offset: done ? null : rows.at(-1)?.position ?? page.offset
  } satisfies JobResultsPage
})
