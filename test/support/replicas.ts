/**
 * Replicas for tests: a PostgreSQL database of the test's own (dropped after it), and real service
 * processes on it, each its own HTTP and runner port. Replica `i` reaches the fake upstream under
 * `/replica-<i>`, so a test can tell which replica asked what.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { FakeUpstreamState, ReceivedRequest } from "./FakeUpstream.ts"
import { finishedStatuses } from "../../src/domain/Job.ts"
import { decodeJob, parseResults } from "./jobs.ts"
import { freePortPromise } from "./ports.ts"
import { scratchPostgresDatabase } from "./postgres.ts"
import { type RunningService, startService } from "./service.ts"
import { fakeEnvironment } from "./TestServer.ts"

/** A database of its own for the scope, dropped after it (its connections cut); gives its URL. */
export const postgresDatabase = scratchPostgresDatabase("llm_batch_replicas")

/**
 * Waits until `count` runners share every shard of the cluster on `databaseUrl` (the PostgreSQL
 * advisory locks the cluster takes per shard), twice in a row 1.5 s apart: the shards have stopped
 * moving between replicas that started together. A chunk running on a shard that moves is run
 * again by its new owner, asking again its questions in flight.
 */
export const clusterSettled = (databaseUrl: string, count: number, shards = 300) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    let stable = 0
    while (stable < 2) {
      const rows = yield* sql<{ readonly runners: string; readonly locks: string }>`SELECT
          COUNT(DISTINCT pid) AS runners, COUNT(*) AS locks FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
      const settled = Number(rows[0]?.runners) === count && Number(rows[0]?.locks) === shards
      stable = settled ? stable + 1 : 0
      if (stable < 2) yield* Effect.sleep(settled ? "1500 millis" : "200 millis")
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: "30 seconds",
      orElse: () => Effect.die(`the shards did not settle over ${count} replicas within 30 s`)
    }),
    Effect.provide(PgClient.layer({ url: Redacted.make(databaseUrl) })),
    Effect.orDie
  )

export interface Replica extends RunningService {
  readonly name: string
}

/** Starts `count` replicas on `databaseUrl` at once; each is killed (SIGKILL) when the scope closes. */
export const startReplicas = (
  upstream: FakeUpstreamState,
  databaseUrl: string,
  count: number,
  env: Record<string, string> = {}
) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => `replica-${i + 1}`), (name) =>
    Effect.gen(function*() {
      const runnerPort = yield* Effect.promise(freePortPromise)
      const service = yield* startService({
        ...fakeEnvironment(`${upstream.url}/${name}`),
        DATABASE_URL: databaseUrl,
        RUNNER_PORT: String(runnerPort),
        ...env
      })
      return { ...service, name } satisfies Replica
    }), { concurrency: "unbounded" })

/** The replica that sent a request to the fake upstream. */
export const replicaOf = (request: ReceivedRequest) => /^\/(replica-\d+)\//.exec(request.path)?.[1] ?? "unknown"

export const http = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, text: await response.text() }
  })

/** A service's HTTP base: a replica, or a single service (`startService`). */
type Reachable = Pick<RunningService, "url">

/** POST /batches with these questions (and other fields of the request, e.g. `lane`); gives the job's id. */
export const submitJob = (
  replica: Reachable,
  questions: ReadonlyArray<Record<string, unknown>>,
  fields: Record<string, unknown> = {}
) =>
  Effect.gen(function*() {
    const submitted = yield* http(`${replica.url}/batches`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...fields, questions })
    })
    if (submitted.status !== 202) return yield* Effect.die(`submit answered ${submitted.status}: ${submitted.text}`)
    return decodeJob(JSON.parse(submitted.text)).id
  })

export const jobStatus = (replica: Reachable, id: string) =>
  http(`${replica.url}/batches/${id}`).pipe(Effect.map(({ text }) => decodeJob(JSON.parse(text))))

/** Polls the job on `replica` until it has ended (bounded by the test's timeout). */
export const waitForJobEnd = (replica: Reachable, id: string) =>
  Effect.gen(function*() {
    while (true) {
      const job = yield* jobStatus(replica, id)
      if (finishedStatuses.has(job.status)) return job
      yield* Effect.sleep("100 millis")
    }
  })

/** Every result line of the job, read from `replica`. */
export const jobResults = (replica: Reachable, id: string) =>
  http(`${replica.url}/batches/${id}/results`).pipe(Effect.map(({ text }) => parseResults(text)))

export const kill = (service: RunningService) =>
  Effect.promise(() =>
    new Promise<void>((resolve) => {
      if (service.child.exitCode !== null) return resolve()
      service.child.once("exit", () => resolve())
      service.child.kill("SIGKILL")
    })
  )

/** Waits (polling) until `ready` holds. */
export const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    while (!ready()) yield* Effect.sleep("10 millis")
  })
