/**
 * A typed client for llm-batch's Effect RPC endpoint, for other TypeScript projects.
 *
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { LlmBatchClient } from "llm-batch/client"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* LlmBatchClient
 *   // Ask: the whole batch at once (same request and response as POST /ask).
 *   const { results } = yield* client.Ask({ questions: [{ index: 1, question: "What is 2 + 2?" }] })
 *   // AskStream: one ResultItem per question as it finishes.
 *   yield* client.AskStream({ questions: [{ index: 1, question: "Name a colour" }] }).pipe(
 *     Stream.runForEach((item) => Effect.log(item.index, item.status, item.result))
 *   )
 *   // Estimate: tokens, cost and time per lane, nothing sent (POST /batches/estimate).
 *   const estimate = yield* client.Estimate({ questions: [{ index: 1, question: "Classify: …" }] })
 *   // Submit: a durable job (POST /batches); Status, Results (a stream; `follow` until the end), Cancel.
 *   const job = yield* client.Submit({ questions: [{ index: 1, question: "Classify: …" }] })
 *   yield* client.Results({ id: job.id, follow: true }).pipe(Stream.runForEach((item) => Effect.log(item)))
 *   const { counts } = yield* client.Status({ id: job.id })
 * })
 *
 * program.pipe(
 *   Effect.provide(LlmBatchClient.layer({ url: "http://127.0.0.1:8000/rpc" })),
 *   Effect.runPromise
 * )
 * ```
 *
 * Failures are typed: `InvalidBatchError` for a batch the service rejects as a whole (the same
 * message POST /ask gives with a 400), `JobNotFoundError` for a job this key cannot see,
 * `RpcClientError` when the service cannot be reached. A
 * value outside a field's range (e.g. `temperature: 9`) is refused by the client's own Schema
 * encoding before anything is sent, as a defect.
 * Interrupting a call (or stopping a stream early) interrupts the batch on the server; a job
 * goes on (Cancel ends it).
 */
import { Context, Layer } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { RpcClient, type RpcClientError, RpcSerialization } from "effect/rpc"
import { LlmBatchRpcs } from "./group.ts"

export { BatchRequest, BatchResponse, QuestionItem, ResultItem } from "../domain/Batch.ts"
export { InvalidBatchError } from "../domain/Errors.ts"
export { JobEstimate } from "../domain/Estimate.ts"
export { Job, JobNotFoundError, JobRequest, JobStatus } from "../domain/Job.ts"
export { AskPayload, LlmBatchRpcs, SubmitPayload } from "./group.ts"

export interface LlmBatchClientOptions {
  /** The service's RPC endpoint, e.g. `http://127.0.0.1:8000/rpc`. */
  readonly url: string
  /** Sent as `Authorization: Bearer …`; needed when the service has `API_KEYS` set. */
  readonly apiKey?: string | undefined
}

export class LlmBatchClient extends Context.Service<
  LlmBatchClient,
  RpcClient.FromGroup<typeof LlmBatchRpcs, RpcClientError.RpcClientError>
>()("llm-batch/LlmBatchClient") {
  /** A client over `fetch` (Node ≥ 18, Deno, Bun, browsers), NDJSON framing like the server. */
  static readonly layer = (options: LlmBatchClientOptions): Layer.Layer<LlmBatchClient> =>
    Layer.effect(LlmBatchClient, RpcClient.make(LlmBatchRpcs)).pipe(
      Layer.provide(RpcClient.layerProtocolHttp({
        url: options.url,
        transformClient: (client) =>
          options.apiKey === undefined
            ? client
            : HttpClient.mapRequest(client, HttpClientRequest.bearerToken(options.apiKey))
      })),
      Layer.provide([RpcSerialization.layerNdjson, FetchHttpClient.layer])
    )
}
