/**
 * docker-compose.replicas.yml is checked without a Docker engine: PostgreSQL and Redis with
 * healthchecks, and three replicas of the image (its own command, the one test/ship replays) on
 * one DATABASE_URL, each reachable by the others at its service name, each environment one the
 * service accepts, and published on loopback only.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parse } from "yaml"
import { appConfig } from "../../src/config/AppConfig.ts"
import { repoRoot } from "../support/Cli.ts"

interface Service {
  readonly build?: unknown
  readonly image?: string
  readonly command?: unknown
  readonly environment?: Readonly<Record<string, string>>
  readonly ports?: ReadonlyArray<string>
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>
  readonly healthcheck?: { readonly test: ReadonlyArray<string> | string }
  readonly stop_grace_period?: string
}

const compose = parse(readFileSync(join(repoRoot, "docker-compose.replicas.yml"), "utf8"), {
  strict: true,
  uniqueKeys: true
}) as { readonly services: Readonly<Record<string, Service>> }
const replicaNames = ["replica-1", "replica-2", "replica-3"]
const replicas = replicaNames.map((name) => [name, compose.services[name]!] as const)

describe("docker-compose.replicas.yml", () => {
  it("runs PostgreSQL, Redis and three replicas built from this Dockerfile with the image's own command", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["postgres", "redis", ...replicaNames])
    expect(compose.services.postgres!.image).toMatch(/^postgres:\d+(?:[.-][\w.]+)?$/)
    expect(compose.services.redis!.image).toMatch(/^redis:\d+(?:[.-][\w.]+)?$/)
    for (const [, replica] of replicas) {
      expect(replica.build).toBe(".")
      expect(replica.command).toBeUndefined()
    }
  })

  it("starts the replicas once PostgreSQL and Redis are healthy", () => {
    expect(compose.services.postgres!.healthcheck?.test).toEqual(["CMD", "pg_isready", "-U", "llm_batch", "-d", "llm_batch"])
    expect(compose.services.redis!.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"])
    for (const [, replica] of replicas) {
      expect(replica.depends_on).toEqual({
        postgres: { condition: "service_healthy" },
        redis: { condition: "service_healthy" }
      })
    }
  })

  it("puts every replica on the same database and Redis, each reachable at its service name", () => {
    const { environment } = compose.services["replica-1"]!
    const user = compose.services.postgres!.environment!
    expect(environment?.DATABASE_URL).toBe(`postgres://${user.POSTGRES_USER}:${user.POSTGRES_PASSWORD}@postgres:5432/${user.POSTGRES_DB}`)
    for (const [name, replica] of replicas) {
      expect(replica.environment).toMatchObject({
        HOST: "0.0.0.0",
        PORT: "8000",
        REDIS_URL: "redis://redis:6379",
        DATABASE_URL: environment?.DATABASE_URL,
        RUNNER_HOST: name
      })
    }
  })

  it("gives each replica an environment the service accepts, as a cluster runner", () => {
    for (const [name, replica] of replicas) {
      const config = Effect.runSync(appConfig.parse(ConfigProvider.fromEnv({ env: { ...replica.environment } })))
      expect(Option.map(config.jobs.databaseUrl, Redacted.value)).toEqual(Option.some(replica.environment?.DATABASE_URL))
      expect(config.jobs.runnerHost).toBe(name)
      expect(config.jobs.runnerPort).toBe(34431)
      expect(Number(/^(\d+)s$/.exec(replica.stop_grace_period ?? "")?.[1]) * 1000).toBeGreaterThan(config.shutdownGraceMs)
    }
  })

  it("publishes each replica on its own loopback port only", () => {
    expect(replicas.map(([, replica]) => replica.ports)).toEqual([
      ["127.0.0.1:8001:8000"],
      ["127.0.0.1:8002:8000"],
      ["127.0.0.1:8003:8000"]
    ])
    expect(compose.services.postgres!.ports).toBeUndefined()
  })
})
