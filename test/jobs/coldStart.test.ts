/**
 * Three replicas cold-started at once on a fresh database, several times over: each time a job
 * submitted at once completes, with work on more than one replica. (A spike once saw a runner hold
 * its shard locks but run nothing after such a start: the job then never ends.)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { postgresDatabase, replicaOf, startReplicas, submitJob, waitForJobEnd } from "../support/replicas.ts"

const iterations = 4
const total = 200

const questions = Array.from({ length: total }, (_, i) => ({ index: i + 1, question: `question ${i + 1}` }))

describe("a cold start of three replicas", () => {
  it.live(`runs a job on more than one of them, ${iterations} times over`, () =>
    Effect.gen(function*() {
      for (let iteration = 1; iteration <= iterations; iteration++) {
        yield* Effect.gen(function*() {
          const upstream = yield* FakeUpstream
          upstream.always("question", { delayMs: 20 })
          const url = yield* postgresDatabase
          const replicas = yield* startReplicas(upstream, url, 3, {
            LLM_CONCURRENCY: "4",
            JOB_CHUNK_SIZE: "10",
            JOB_CHUNK_CONCURRENCY: "6"
          })
          const id = yield* submitJob(replicas[iteration % 3]!, questions)
          const job = yield* waitForJobEnd(replicas[(iteration + 1) % 3]!, id).pipe(
            Effect.timeoutOrElse({
              // A stuck start never ends its job; 100 s tells that from a slow start on a busy machine
              // (this file starts with the suite's heaviest files: 60 s ran out twice in clean-clone CI runs).
              duration: "100 seconds",
              orElse: () => Effect.die(`iteration ${iteration}: the job did not end within 100 s`)
            })
          )
          expect(job.counts, `iteration ${iteration}`).toEqual({ total, succeeded: total, failed: 0, pending: 0 })
          const working = new Set(upstream.requests.map(replicaOf))
          expect(working.size, `iteration ${iteration}: replicas at work ${[...working]}`).toBeGreaterThan(1)
        }).pipe(Effect.scoped, Effect.provide(FakeUpstream.layer))
      }
    }), 360_000) // Each iteration has its own bound; the whole waits on 12 process starts, slow on a busy machine.
})
