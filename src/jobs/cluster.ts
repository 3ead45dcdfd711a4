/**
 * Effect Cluster's workflow engine on the job database. With SQLite (embedded) the process is one
 * runner that owns every shard (`SingleRunner.layer`'s pieces). With PostgreSQL it is a socket
 * runner at RUNNER_HOST:RUNNER_PORT: processes sharing the database split the shards between them
 * and take over a dead one's. The sharding configuration comes from `AppConfig`:
 * `ShardingConfig.layerFromEnv` would read HOST and PORT, which here are the HTTP server's.
 */
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { Duration, Effect, Layer, Option } from "effect"
import {
  ClusterWorkflowEngine,
  MessageStorage,
  RunnerAddress,
  RunnerHealth,
  Runners,
  Sharding,
  ShardingConfig,
  SocketRunner,
  SqlMessageStorage,
  SqlRunnerStorage
} from "effect/cluster"
import { RpcSerialization } from "effect/rpc"
import type { SocketServer } from "effect/socket"
import { AppConfig, type JobSettings } from "../config/AppConfig.ts"
import { JobStoreUnavailableError } from "./database.ts"

/**
 * How fast a dead replica's shards move: its heartbeat (written every `shardLockRefreshInterval`)
 * is seen stale after `shardLockExpiration`, the others re-read the runners every
 * `refreshAssignmentsInterval` and take its shards (PostgreSQL dropped its advisory locks with its
 * connection). The defaults (35 s, 3 s) make that ~37 s; these make it ~6 s (docs/jobs.md).
 */
export const replicaTimings = {
  shardLockExpiration: Duration.seconds(5),
  shardLockRefreshInterval: Duration.millis(1500),
  refreshAssignmentsInterval: Duration.seconds(1),
  // A ping that fails for ~3 s marks a runner unhealthy sooner than its heartbeat expires.
  runnerHealthCheckInterval: Duration.seconds(5)
} as const

const shardingConfig = (jobs: JobSettings, replica: boolean) =>
  ShardingConfig.layer({
    // Work is delivered in-process as it is sent; polling only finds what was not (after a restart).
    entityMessagePollInterval: Duration.millis(jobs.pollIntervalMs),
    // At shutdown a chunk's run has already stopped (its activity never completes, so the chunk runs
    // again on the next start): the engine need not wait for it.
    entityTerminationTimeout: Duration.seconds(1),
    ...(replica
      ? {
        runnerAddress: Option.some(RunnerAddress.make(jobs.runnerHost, jobs.runnerPort)),
        ...replicaTimings
      }
      : {})
  })

/** One runner with every shard (SQLite: one process per store). */
const singleRunner = Sharding.layer.pipe(
  Layer.provideMerge(Runners.layerNoop),
  Layer.provideMerge(SqlMessageStorage.layer),
  Layer.provide([Layer.orDie(SqlRunnerStorage.layer), RunnerHealth.layerNoop])
)

/** A runner reachable by the others over TCP, health-checked by ping (`NodeClusterSocket.layer`'s pieces). */
const socketRunner = Layer.unwrap(
  // Loaded only with PostgreSQL: the embedded setup never opens a socket.
  Effect.promise(() => import("@effect/platform-node/NodeClusterSocket")).pipe(
    Effect.map(({ layerClientProtocol, layerSocketServer }) =>
      SocketRunner.layer.pipe(
        Layer.provide([layerSocketServer, layerClientProtocol]),
        Layer.provide(RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(layerClientProtocol))),
        Layer.provideMerge(SqlMessageStorage.layer),
        Layer.provide(Layer.orDie(SqlRunnerStorage.layer)),
        Layer.provide(RpcSerialization.layerSchemaBinary())
      )
    )
  )
)

type RunnerServices = Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage

/** The OS's own words (`listen EADDRINUSE: address already in use 127.0.0.1:8101`), not the reason's tag ("Open"). */
const osMessage = (error: SocketServer.SocketServerError): string =>
  error.reason.cause instanceof Error ? error.reason.cause.message : error.message

const listenFailure = (jobs: JobSettings) => (error: SocketServer.SocketServerError) =>
  Layer.effectContext<RunnerServices, JobStoreUnavailableError, never>(Effect.fail(
    new JobStoreUnavailableError({
      message: `cannot listen for the other replicas on RUNNER_HOST ${jobs.runnerHost}, RUNNER_PORT ${jobs.runnerPort} ` +
        `(${osMessage(error)}): ` +
        (hasCode(error.reason.cause, "EADDRINUSE")
          ? `another process holds port ${jobs.runnerPort}: stop it, or give this process a free RUNNER_PORT (each process on a host needs its own)`
          : `give each process on a host its own RUNNER_PORT, and RUNNER_HOST an address of this host`)
    })
  ))

const hasCode = (cause: unknown, code: string): boolean =>
  typeof cause === "object" && cause !== null && "code" in cause && cause.code === code

/** `WorkflowEngine` (and the cluster's `Sharding` and `MessageStorage`); needs `SqlClient`. */
export const workflowEngineLayer = Layer.unwrap(Effect.gen(function*() {
  const { jobs } = yield* AppConfig
  const replica = Option.isSome(jobs.databaseUrl)
  const runner = replica
    ? socketRunner.pipe(Layer.catchTag("SocketServerError", listenFailure(jobs)))
    : singleRunner
  return ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(runner.pipe(Layer.provide(shardingConfig(jobs, replica)))),
    Layer.provide(NodeCrypto.layerDigest)
  )
}))
