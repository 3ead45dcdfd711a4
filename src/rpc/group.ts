/**
 * The Effect RPC contract of llm-batch, shared by the server (`/rpc`) and the typed client. Every
 * schema comes from `domain/Batch.ts`, the same ones POST /ask uses.
 */
import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { BatchRequest, BatchResponse, ResultItem } from "../domain/Batch.ts"
import { InvalidBatchError } from "../domain/Errors.ts"

/**
 * A batch as written on the wire, i.e. POST /ask's body: fields with defaults may be left out.
 * The server decodes it with the same checks (and messages) as POST /ask.
 */
export const AskPayload = Schema.toEncoded(BatchRequest)
export type AskPayload = typeof AskPayload.Type

export class LlmBatchRpcs extends RpcGroup.make(
  /** Runs a batch and answers once every question has finished. */
  Rpc.make("Ask", { payload: AskPayload, success: BatchResponse, error: InvalidBatchError }),
  /** Runs a batch and streams each question's result as soon as it finishes. */
  Rpc.make("AskStream", { payload: AskPayload, success: ResultItem, error: InvalidBatchError, stream: true })
) {}
