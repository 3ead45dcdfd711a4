/**
 * The durable way to run a batch (repo_docs/contract.md, *Batch jobs*): the same plan,
 * substitution, answer and repair loop, cache and `LlmClient` as `/ask`, run by Effect Workflow on
 * Effect Cluster's SQL storage so that it survives restarts and crashes. Every surface (HTTP, RPC,
 * MCP, CLI through HTTP) is a thin adapter over this service. `owner` is the caller's key digest
 * ("" without API_KEYS): a job is visible only to the key that submitted it.
 */
import { Context, type Effect, type Stream } from "effect"
import type { QuestionItem, ResultItem } from "../domain/Batch.ts"
import type { InvalidBatchError } from "../domain/Errors.ts"
import type { JobEstimate } from "../domain/Estimate.ts"
import type { Job, JobNotFoundError, JobRequest, JobResultsPage } from "../domain/Job.ts"

export interface JobsShape {
  /** Checks the whole job like `/ask` does (MAX_JOB_SIZE instead of MAX_BATCH_SIZE), stores it, then starts it. */
  readonly submit: (request: JobRequest, owner: string) => Effect.Effect<Job, InvalidBatchError>
  /** Checks the job as `submit` does and estimates its tokens, cost and time; nothing is stored or sent. */
  readonly estimate: (request: JobRequest) => Effect.Effect<JobEstimate, InvalidBatchError>
  readonly get: (id: string, owner: string) => Effect.Effect<Job, JobNotFoundError>
  /** Newest first. */
  readonly list: (owner: string, limit: number) => Effect.Effect<ReadonlyArray<Job>>
  /**
   * Every finished question's result, in finishing order, read from storage page by page (never the
   * whole job in memory); with `follow`, the stream stays open until the job has ended.
   */
  readonly results: (
    id: string,
    owner: string,
    options: { readonly follow: boolean }
  ) => Stream.Stream<ResultItem, JobNotFoundError>
  /** The job's questions as stored, in the order submitted (which `sequential` follows), read from storage page by page (the console's graph). */
  readonly questions: (id: string, owner: string) => Stream.Stream<QuestionItem, JobNotFoundError>
  /** A page of results in finishing order (MCP's `batch_results`). */
  readonly resultsPage: (
    id: string,
    owner: string,
    page: { readonly offset: number; readonly limit: number }
  ) => Effect.Effect<JobResultsPage, JobNotFoundError>
  /** Unfinished questions are not sent (or are interrupted) and end as errors `cancelled`. */
  readonly cancel: (id: string, owner: string) => Effect.Effect<Job, JobNotFoundError>
}

export class Jobs extends Context.Service<Jobs, JobsShape>()("llm-batch/Jobs") {}
