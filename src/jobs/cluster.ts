/**
 * Effect Cluster's workflow engine on the job database, as one runner that owns every shard. The
 * pieces are `SingleRunner.layer`'s, but the sharding configuration comes from `AppConfig`:
 * `ShardingConfig.layerFromEnv` would read HOST and PORT, which here are the HTTP server's.
 */
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { Duration, Effect, Layer } from "effect"
import {
  ClusterWorkflowEngine,
  RunnerHealth,
  Runners,
  Sharding,
  ShardingConfig,
  SqlMessageStorage,
  SqlRunnerStorage
} from "effect/cluster"
import { AppConfig } from "../config/AppConfig.ts"

/** `WorkflowEngine` (and the cluster's `Sharding` and `MessageStorage`); needs `SqlClient`. */
export const workflowEngineLayer = Layer.unwrap(Effect.gen(function*() {
  const { jobs } = yield* AppConfig
  const sharding = ShardingConfig.layer({
    // Work is delivered in-process as it is sent; polling only finds what was not (after a restart).
    entityMessagePollInterval: Duration.millis(jobs.pollIntervalMs),
    // At shutdown a chunk's run has already stopped (its activity never completes, so the chunk runs
    // again on the next start): the engine need not wait for it.
    entityTerminationTimeout: Duration.seconds(1)
  })
  const runner = Sharding.layer.pipe(
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(SqlMessageStorage.layer),
    Layer.provide([Layer.orDie(SqlRunnerStorage.layer), RunnerHealth.layerNoop]),
    Layer.provide(sharding)
  )
  return ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(runner),
    Layer.provide(NodeCrypto.layerDigest)
  )
}))
