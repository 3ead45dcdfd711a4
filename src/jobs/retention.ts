/**
 * Retention: JOB_RETENTION_HOURS after a job ends, a background sweep deletes it with its
 * questions and results, and the cluster's messages and replies of its workflows, the job's and its
 * chunks' (their addresses derive from the job id, which is never used again). A job still running
 * is never deleted.
 */
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import { ClusterSchema, EntityAddress, EntityId, EntityType, MessageStorage, Sharding } from "effect/cluster"
import { AppConfig } from "../config/AppConfig.ts"
import { JobStore } from "./store.ts"
import { ChunkWorkflow, JobWorkflow } from "./workflow.ts"

export const retentionLayer = Layer.effectDiscard(Effect.gen(function*() {
  const { jobs } = yield* AppConfig
  const store = yield* JobStore
  const storage = yield* MessageStorage.MessageStorage
  const sharding = yield* Sharding.Sharding

  const forget = Effect.fnUntraced(function*(workflow: typeof JobWorkflow | typeof ChunkWorkflow, executionId: string) {
    const entityId = EntityId.make(executionId)
    const group = Context.get(workflow.annotations, ClusterSchema.ShardGroup)(entityId)
    yield* storage.clearAddress(EntityAddress.make({
      entityType: EntityType.make(`Workflow/${workflow._tag}`),
      entityId,
      shardId: sharding.getShardId(entityId, group)
    }))
  })

  const forgetWorkflows = Effect.fnUntraced(function*({ chunks, id }: { readonly id: string; readonly chunks: number }) {
    yield* forget(JobWorkflow, yield* JobWorkflow.executionId({ jobId: id }))
    for (let chunk = 0; chunk < chunks; chunk++) {
      yield* forget(ChunkWorkflow, yield* ChunkWorkflow.executionId({ jobId: id, chunk }))
    }
  })

  const sweep = Effect.gen(function*() {
    const deleted = yield* store.finishedBefore(Date.now() - jobs.retentionMs)
    // The workflows' records first: a sweep cut short leaves the job row, so the next one finishes it.
    yield* Effect.forEach(deleted, (job) => Effect.andThen(forgetWorkflows(job), store.remove(job.id)), { discard: true })
    if (deleted.length > 0) yield* Effect.logInfo(`batch jobs: deleted ${deleted.length} ended over JOB_RETENTION_HOURS ago`)
  }).pipe(Effect.catchCause((cause) => Effect.logWarning("batch jobs: deleting expired jobs failed; trying again later", cause)))

  // Often enough that a job outlives its retention by at most half of it, or by 30 minutes.
  const every = Duration.millis(Math.max(100, Math.min(jobs.retentionMs / 2, 30 * 60_000)))
  yield* Effect.forkScoped(Effect.repeat(sweep, Schedule.spaced(every)))
}))
