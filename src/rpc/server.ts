/**
 * Effect RPC at POST /rpc (NDJSON framing, so `AskStream` items reach the client as they finish).
 * The handlers are thin adapters over the engine and `Jobs`; an interrupted call interrupts its
 * batch (a job goes on: it is durable).
 */
import { Effect, Layer, Stream } from "effect"
import { RpcSerialization, RpcServer } from "effect/rpc"
import { runBatch } from "../batch/engine.ts"
import { streamBatch } from "../batch/stream.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { decodeBatchRequest, decodeWith } from "../domain/decode.ts"
import { JobRequest } from "../domain/Job.ts"
import { Jobs } from "../jobs/Jobs.ts"
import { callerKey } from "../http/auth.ts"
import { LlmBatchRpcs } from "./group.ts"

const decodeJobRequest = decodeWith(JobRequest)

const handlers = LlmBatchRpcs.toLayer(Effect.gen(function*() {
  const config = yield* AppConfig
  const jobs = yield* Jobs
  // The HTTP request's headers reach each call: the caller's key shares upstream slots fairly, and
  // a job belongs to it.
  return LlmBatchRpcs.of({
    Ask: (payload, { headers }) =>
      decodeBatchRequest(payload).pipe(
        Effect.flatMap((batch) => runBatch(batch, { caller: callerKey(config, headers.authorization) }))
      ),
    AskStream: (payload, { headers }) =>
      decodeBatchRequest(payload).pipe(
        Effect.map((batch) => streamBatch(batch, callerKey(config, headers.authorization))),
        Stream.unwrap
      ),
    Submit: (payload, { headers }) =>
      decodeJobRequest(payload).pipe(
        Effect.flatMap((request) => jobs.submit(request, callerKey(config, headers.authorization)))
      ),
    Status: ({ id }, { headers }) => jobs.get(id, callerKey(config, headers.authorization)),
    Results: ({ follow, id }, { headers }) =>
      jobs.results(id, callerKey(config, headers.authorization), { follow: follow ?? false }),
    Cancel: ({ id }, { headers }) => jobs.cancel(id, callerKey(config, headers.authorization))
  })
}))

export const RpcRoutes = RpcServer.layerHttp({ group: LlmBatchRpcs, path: "/rpc", protocol: "http" }).pipe(
  Layer.provide(handlers),
  Layer.provide(RpcSerialization.layerNdjson)
)
