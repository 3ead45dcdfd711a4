/**
 * Replicas: one job (1,500 questions unless BENCH_REPLICAS_QUESTIONS says otherwise) on 1, 2 and 3 replicas sharing a PostgreSQL database (created
 * for each run, dropped after), against an upstream that answers in 200 ms, each replica allowed
 * 16 upstream calls at once: the replicas' LLM_CONCURRENCY is the bottleneck, so the ideal is
 * 16 / 0.2 s = 80 questions/s per replica. Questions/s from the 202 to `completed`, submitted once
 * the replicas have settled which shards each runs. Needs PostgreSQL at BENCH_DATABASE_SERVER
 * (default postgres://postgres@127.0.0.1:5432, database `test` reachable for CREATE DATABASE).
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { field, fixed, freePort, http, questions, row, type Row, type Service, startService, type Upstream } from "./lib.ts"

const server = process.env.BENCH_DATABASE_SERVER ?? "postgres://postgres@127.0.0.1:5432"
/** Questions per job: BENCH_REPLICAS_QUESTIONS, default 1,500 (a longer job weighs its start and tail less). */
const count = Number(process.env.BENCH_REPLICAS_QUESTIONS ?? 1_500)
const llmConcurrency = 16
const delayMs = 200
/** The cluster's shards (its default), each held by one replica's advisory lock. */
const shards = 300

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const query = <A extends object>(database: string, statement: string) =>
  Effect.runPromise(Effect.gen(function*() {
    const sql = yield* SqlClient
    return yield* sql.unsafe<A>(statement)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(`${server}/${database}`) })), Effect.scoped))

/** Until every shard is locked, spread over `replicas` runners, twice in a row 1.5 s apart. */
const waitForSettledShards = async (database: string, replicas: number) => {
  for (let stable = 0; stable < 2;) {
    const [counts] = await query<{ runners: string; locks: string }>(database, `SELECT COUNT(DISTINCT pid) AS runners,
      COUNT(*) AS locks FROM pg_locks WHERE locktype = 'advisory' AND granted AND database =
      (SELECT oid FROM pg_database WHERE datname = current_database())`)
    const settled = Number(counts?.runners) === replicas && Number(counts?.locks) === shards
    stable = settled ? stable + 1 : 0
    await sleep(settled ? 1_500 : 200)
  }
}

const waitForEnd = async (service: Service, id: string) => {
  while (true) {
    const job: unknown = JSON.parse((await http(service.port, "GET", `/batches/${id}`)).body)
    const status = String(field(job, "status"))
    if (!["queued", "running", "cancelling"].includes(status)) return { status, succeeded: Number(field(field(job, "counts"), "succeeded")) }
    await sleep(50)
  }
}

const run = async (upstream: Upstream, replicas: number): Promise<number> => {
  const database = `llm_batch_bench_${Date.now()}_${replicas}`
  await query("test", `CREATE DATABASE ${database}`)
  const services: Array<Service> = []
  try {
    for (let i = 0; i < replicas; i++) {
      services.push(
        await startService(upstream, {
          DATABASE_URL: `${server}/${database}`,
          RUNNER_PORT: String(await freePort()),
          LLM_CONCURRENCY: String(llmConcurrency),
          BATCH_CONCURRENCY: String(llmConcurrency),
          // Enough chunks at once for every replica to fill its slots.
          JOB_CHUNK_SIZE: "25",
          JOB_CHUNK_CONCURRENCY: "16"
        })
      )
    }
    await waitForSettledShards(database, replicas)
    const started = performance.now()
    const response = await http(services[0]!.port, "POST", "/batches", { questions: questions(count, `replicas-${database}`) })
    if (response.status !== 202) throw new Error(`POST /batches answered ${response.status}: ${response.body.slice(0, 300)}`)
    const end = await waitForEnd(services[0]!, String(field(JSON.parse(response.body), "id")))
    if (end.status !== "completed" || end.succeeded !== count) {
      throw new Error(`replicas: the job on ${replicas} replica(s) ended ${end.status} with ${end.succeeded} answers`)
    }
    return count / ((performance.now() - started) / 1_000)
  } finally {
    await Promise.all(services.map((service) => service.stop()))
    await query("test", `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  }
}

export const replicas = async (upstream: Upstream): Promise<ReadonlyArray<Row>> => {
  await upstream.setDelay(delayMs)
  const rows: Array<Row> = []
  let single = NaN
  for (const replicaCount of [1, 2, 3]) {
    const perSecond = await run(upstream, replicaCount)
    if (replicaCount === 1) single = perSecond
    const ideal = replicaCount * llmConcurrency * 1_000 / delayMs
    rows.push(row(
      `job ${count.toLocaleString("en")}, ${replicaCount} replica${replicaCount > 1 ? "s" : ""} (PostgreSQL), upstream ${delayMs} ms`,
      `questions/s (LLM_CONCURRENCY ${llmConcurrency} each)`,
      fixed(perSecond),
      fixed(ideal),
      fixed(perSecond / ideal, 2),
      replicaCount === 1 ? "" : `speed-up ×${fixed(perSecond / single, 2)} over 1 replica`
    ))
  }
  await upstream.setDelay(0)
  return rows
}
