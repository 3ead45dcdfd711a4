/**
 * Effect RPC at POST /rpc (NDJSON framing, so `AskStream` items reach the client as they finish).
 * The handlers are thin adapters over the engine; an interrupted call interrupts its batch.
 */
import { Effect, Layer, Stream } from "effect"
import { RpcSerialization, RpcServer } from "effect/rpc"
import { runBatch } from "../batch/engine.ts"
import { streamBatch } from "../batch/stream.ts"
import { decodeBatchRequest } from "../domain/decode.ts"
import { LlmBatchRpcs } from "./group.ts"

const handlers = LlmBatchRpcs.toLayer(LlmBatchRpcs.of({
  Ask: (payload) => decodeBatchRequest(payload).pipe(Effect.flatMap((batch) => runBatch(batch))),
  AskStream: (payload) => decodeBatchRequest(payload).pipe(Effect.map(streamBatch), Stream.unwrap)
}))

export const RpcRoutes = RpcServer.layerHttp({ group: LlmBatchRpcs, path: "/rpc", protocol: "http" }).pipe(
  Layer.provide(handlers),
  Layer.provide(RpcSerialization.layerNdjson)
)
