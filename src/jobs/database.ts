/**
 * The SQL database jobs are kept in, for our tables and the cluster's: embedded SQLite in
 * DATA_DIR (Node's `node:sqlite`), or PostgreSQL with DATABASE_URL. A store that cannot be
 * opened is a `JobStoreUnavailableError` that says what to set.
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Cause, Effect, Layer, Option, Predicate, Redacted, Runtime, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { mkdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { AppConfig } from "../config/AppConfig.ts"

/** The store cannot be used: the service does not start (exit 1), and says why in one line. */
export class JobStoreUnavailableError extends Schema.TaggedError<JobStoreUnavailableError>()("JobStoreUnavailableError", {
  message: Schema.String
}) {
  override readonly [Runtime.errorExitCode] = 1
  // Logged as one line by the jobs layer; not again with a stack trace.
  override readonly [Runtime.errorReported] = false
}

/** The embedded database file of `DATA_DIR`. */
export const sqliteFile = (dataDir: string) => join(resolve(dataDir), "llm-batch.sqlite")

const unavailable = (message: string) => Layer.effect(SqlClient, Effect.fail(new JobStoreUnavailableError({ message })))

const sqlite = (dataDir: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const directory = resolve(dataDir)
    const file = sqliteFile(dataDir)
    const advice = "set DATA_DIR to a writable directory, or DATABASE_URL to a PostgreSQL database"
    yield* Effect.try({
      try: () => mkdirSync(directory, { recursive: true }),
      catch: (cause) =>
        new JobStoreUnavailableError({ message: `cannot create DATA_DIR ${directory} for the batch job store (${cause}): ${advice}` })
    })
    return Layer.effectDiscard(Effect.andThen(holdExclusively, checkIntegrity)).pipe(
      Layer.provideMerge(SqliteClient.layer({ filename: file })),
      Layer.catchCause((cause) => {
        const error = Cause.squash(cause)
        // Opening a database another process holds fails at once with SQLITE_BUSY.
        return unavailable(
          isBusy(error)
            ? `DATA_DIR ${directory} is in use by another llm-batch process: give each process its own DATA_DIR, ` +
              "or let them share a PostgreSQL DATABASE_URL"
            : isCorrupt(error)
            ? corruptStore(file, error instanceof StoreDamaged ? error.problems : describeCause(error))
            : `cannot open the batch job store ${file} (${error}): ${advice}`
        )
      })
    )
  }))

/**
 * One process per database file: two runners on one SQLite file would both run every job. The
 * exclusive lock is the operating system's, so a killed process leaves none behind. Commits wait
 * for the operating system, not the disk: a crash of the process loses nothing, a power cut at
 * most the last results, whose questions are then asked again.
 */
const holdExclusively = Effect.gen(function*() {
  const sql = yield* SqlClient
  yield* sql.unsafe("PRAGMA locking_mode = EXCLUSIVE")
  yield* sql.unsafe("PRAGMA synchronous = NORMAL")
  yield* sql.unsafe("BEGIN EXCLUSIVE")
  yield* sql.unsafe("COMMIT")
})

const sqliteBusy = 5
const isBusy = (error: unknown) => Predicate.hasProperty(error, "errcode") && error.errcode === sqliteBusy

/** What `PRAGMA quick_check` found wrong in the file. */
class StoreDamaged extends Schema.TaggedError<StoreDamaged>()("StoreDamaged", { problems: Schema.String }) {}

/**
 * Damaged pages are found at startup (`PRAGMA quick_check`: every page and index entry is read, in
 * O(file size): ~0.1 s for a 49 MB file), not by the read that meets one in the middle of a result stream.
 */
const checkIntegrity = Effect.gen(function*() {
  const sql = yield* SqlClient
  const rows = yield* sql<{ readonly quick_check: string }>`PRAGMA quick_check(5)`
  const problems = rows.map((row) => row.quick_check).filter((line) => line !== "ok")
  if (problems.length > 0) return yield* new StoreDamaged({ problems: problems.join("; ") })
})

/** SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), as node:sqlite's error or inside effect/sql's. */
const corruptCodes = new Set([11, 26])
const sqliteCause = (error: unknown): unknown =>
  Predicate.hasProperty(error, "reason") && Predicate.hasProperty(error.reason, "cause") ? error.reason.cause : error
/** The database's own words (`database disk image is malformed`). */
export const describeCause = (error: unknown): string => {
  const cause = sqliteCause(error)
  return cause instanceof Error ? cause.message : String(cause)
}
export const isCorrupt = (error: unknown): boolean => {
  if (error instanceof StoreDamaged) return true
  const cause = sqliteCause(error)
  return Predicate.hasProperty(cause, "errcode") && typeof cause.errcode === "number" &&
    corruptCodes.has(cause.errcode & 0xff)
}

/** What to do about a damaged store file (at startup, or when a read meets a damaged page). */
export const corruptStore = (file: string, problem: string) =>
  `the batch job store ${file} is damaged (${problem}): stop the service and move that file away (with its ` +
  "-wal and -shm files) to start with an empty store, or restore it from a backup; `sqlite3 FILE .recover` " +
  "saves what can still be read"

const postgres = (url: Redacted.Redacted<string>) =>
  Layer.unwrap(
    // Loaded only when configured: the embedded setup never reads the PostgreSQL driver.
    Effect.promise(() => import("@effect/sql-pg/PgClient")).pipe(
      Effect.map(({ layer }) =>
        // The pool connects on first use: a query now says at startup whether the database is there.
        Layer.effectDiscard(Effect.gen(function*() {
          const sql = yield* SqlClient
          yield* sql`SELECT 1`
        })).pipe(
          Layer.provideMerge(layer({ url })),
          Layer.catchCause((cause) =>
            unavailable(
              `cannot connect to the PostgreSQL database of DATABASE_URL for the batch job store ` +
                `(${withoutPassword(String(Cause.squash(cause)), url)}): check that it is running and the URL's ` +
                "host, port, database and credentials"
            )
          )
        )
      )
    )
  )

/** The URL may hold a password: an error that quotes it must not show it. */
const withoutPassword = (message: string, url: Redacted.Redacted<string>) => {
  const value = Redacted.value(url)
  const password = URL.canParse(value) ? decodeURIComponent(new URL(value).password) : ""
  return (password === "" ? message : message.replaceAll(password, "***")).replaceAll(value, "DATABASE_URL")
}

/** `SqlClient` for the job store and the cluster's own tables. */
export const databaseLayer = Layer.unwrap(Effect.gen(function*() {
  const { jobs } = yield* AppConfig
  return Option.isSome(jobs.databaseUrl) ? postgres(jobs.databaseUrl.value) : sqlite(jobs.dataDir)
}))
