/**
 * Effect RPC at POST /rpc (NDJSON framing, so `AskStream` items reach the client as they finish).
 * The handlers are thin adapters over the engine; an interrupted call interrupts its batch.
 */
import { Effect, Layer, Stream } from "effect"
import { RpcSerialization, RpcServer } from "effect/rpc"
import { runBatch } from "../batch/engine.ts"
import { streamBatch } from "../batch/stream.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { decodeBatchRequest } from "../domain/decode.ts"
import { callerKey } from "../http/auth.ts"
import { LlmBatchRpcs } from "./group.ts"

const handlers = LlmBatchRpcs.toLayer(Effect.gen(function*() {
  const config = yield* AppConfig
  // The HTTP request's headers reach each call: the caller's key shares upstream slots fairly.
  return LlmBatchRpcs.of({
    Ask: (payload, { headers }) =>
      decodeBatchRequest(payload).pipe(
        Effect.flatMap((batch) => runBatch(batch, { caller: callerKey(config, headers.authorization) }))
      ),
    AskStream: (payload, { headers }) =>
      decodeBatchRequest(payload).pipe(
        Effect.map((batch) => streamBatch(batch, callerKey(config, headers.authorization))),
        Stream.unwrap
      )
  })
}))

export const RpcRoutes = RpcServer.layerHttp({ group: LlmBatchRpcs, path: "/rpc", protocol: "http" }).pipe(
  Layer.provide(handlers),
  Layer.provide(RpcSerialization.layerNdjson)
)
