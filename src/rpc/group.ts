/**
 * The Effect RPC contract of llm-batch, shared by the server (`/rpc`) and the typed client. Every
 * schema comes from `domain/`, the same ones POST /ask and the batch job routes use.
 */
import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { BatchRequest, BatchResponse, ResultItem } from "../domain/Batch.ts"
import { InvalidBatchError } from "../domain/Errors.ts"
import { JobEstimate } from "../domain/Estimate.ts"
import { Job, JobNotFoundError, JobRequest } from "../domain/Job.ts"

/**
 * A batch as written on the wire, i.e. POST /ask's body: fields with defaults may be left out.
 * The server decodes it with the same checks (and messages) as POST /ask.
 */
export const AskPayload = Schema.toEncoded(BatchRequest)
export type AskPayload = typeof AskPayload.Type

/** A job as written on the wire, i.e. POST /batches's JSON body; decoded like it. */
export const SubmitPayload = Schema.toEncoded(JobRequest)
export type SubmitPayload = typeof SubmitPayload.Type

const jobId = Schema.String.annotate({ description: "The job's id, `batch_…`" })

export class LlmBatchRpcs extends RpcGroup.make(
  /** Runs a batch and answers once every question has finished. */
  Rpc.make("Ask", { payload: AskPayload, success: BatchResponse, error: InvalidBatchError }),
  /** Runs a batch and streams each question's result as soon as it finishes. */
  Rpc.make("AskStream", { payload: AskPayload, success: ResultItem, error: InvalidBatchError, stream: true }),
  /** Stores a batch as a durable job and starts it; answers with the job at once (POST /batches). */
  Rpc.make("Submit", { payload: SubmitPayload, success: Job, error: InvalidBatchError }),
  /** A job's tokens, cost and time, estimated without running it; nothing is stored (POST /batches/estimate). */
  Rpc.make("Estimate", { payload: SubmitPayload, success: JobEstimate, error: InvalidBatchError }),
  /** A job's status, counts, usage and cost (GET /batches/{id}). */
  Rpc.make("Status", { payload: { id: jobId }, success: Job, error: JobNotFoundError }),
  /**
   * A job's results in finishing order; with `follow`, until the job has ended
   * (GET /batches/{id}/results).
   */
  Rpc.make("Results", {
    payload: { id: jobId, follow: Schema.optionalKey(Schema.Boolean) },
    success: ResultItem,
    error: JobNotFoundError,
    stream: true
  }),
  /** Cancels a job: its unfinished questions end as errors `cancelled` (POST /batches/{id}/cancel). */
  Rpc.make("Cancel", { payload: { id: jobId }, success: Job, error: JobNotFoundError })
) {}
