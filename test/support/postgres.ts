/** PostgreSQL for tests: a database of the test's own on the local server, dropped after it. */
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

const server = "postgres://postgres@127.0.0.1:5432"

/** Runs `statement` on the server's `test` database (where CREATE/DROP DATABASE are sent). */
const admin = (statement: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(`${server}/test`) })), Effect.orDie)

/** A database named `<prefix>_<uuid>` for the scope, dropped after it (its connections cut); gives its URL. */
export const scratchPostgresDatabase = (prefix: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const name = `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`
      yield* admin(`CREATE DATABASE ${name}`)
      return name
    }),
    (name) => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  ).pipe(Effect.map((name) => `${server}/${name}`))
