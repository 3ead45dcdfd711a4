/**
 * Effect RPC at POST /rpc (NDJSON framing, so `AskStream` items reach the client as they finish).
 * The handlers are thin adapters over the engine and `Jobs`; an interrupted call interrupts its
 * batch (a job goes on: it is durable).
 */
import { Effect, Layer, Option, Stream } from "effect"
import { HttpServerRequest } from "effect/http"
import { RpcSerialization, RpcServer } from "effect/rpc"
import { runBatch } from "../batch/engine.ts"
import { streamBatch } from "../batch/stream.ts"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"
import { callerKey } from "../config/caller.ts"
import { decodeBatchRequest, decodeWith } from "../domain/decode.ts"
import { JobRequest } from "../domain/Job.ts"
import { Jobs } from "../jobs/Jobs.ts"
import { rpcEnvelopeGuard } from "../http/envelope.ts"
import { LlmBatchRpcs } from "./group.ts"

const decodeJobRequest = decodeWith(JobRequest)

/**
 * Who calls: the key of the HTTP request that carried the message, the one the router checked.
 * Never the `headers` the handler is given: effect merges the message's own `headers` field over
 * the HTTP request's, so a caller could name any key (or none) there. RpcServer runs each handler
 * in a fiber forked from the HTTP request's, which is how the request is in its context.
 */
const transportCaller = (config: AppConfigShape) =>
  Effect.flatMap(Effect.serviceOption(HttpServerRequest.HttpServerRequest), (request) =>
    Option.isSome(request)
      ? Effect.succeed(callerKey(config, request.value.headers.authorization))
      : Effect.die(new Error("an RPC call without its HTTP request: /rpc serves HTTP only")))

const handlers = LlmBatchRpcs.toLayer(Effect.gen(function*() {
  const config = yield* AppConfig
  const jobs = yield* Jobs
  const caller = transportCaller(config)
  // The caller's key shares upstream slots fairly, and a job belongs to it.
  return LlmBatchRpcs.of({
    Ask: (payload) =>
      decodeBatchRequest(payload).pipe(
        Effect.flatMap((batch) => Effect.flatMap(caller, (key) => runBatch(batch, { caller: key })))
      ),
    AskStream: (payload) =>
      decodeBatchRequest(payload).pipe(
        Effect.flatMap((batch) => Effect.map(caller, (key) => streamBatch(batch, key))),
        Stream.unwrap
      ),
    Submit: (payload) =>
      decodeJobRequest(payload).pipe(
        Effect.flatMap((request) => Effect.flatMap(caller, (key) => jobs.submit(request, key)))
      ),
    Estimate: (payload) => Effect.flatMap(decodeJobRequest(payload), jobs.estimate),
    Status: ({ id }) => Effect.flatMap(caller, (key) => jobs.get(id, key)),
    Results: ({ follow, id }) =>
      Effect.map(caller, (key) => jobs.results(id, key, { follow: follow ?? false })).pipe(Stream.unwrap),
    Cancel: ({ id }) => Effect.flatMap(caller, (key) => jobs.cancel(id, key))
  })
}))

export const RpcRoutes = RpcServer.layerHttp({ group: LlmBatchRpcs, path: "/rpc", protocol: "http" }).pipe(
  Layer.provide(handlers),
  Layer.provide(RpcSerialization.layerNdjson),
  Layer.provide(rpcEnvelopeGuard.layer)
)
