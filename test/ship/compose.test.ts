/**
 * docker-compose.yml is checked without a Docker engine: valid YAML, the service and an official
 * Redis with a healthcheck, the service waiting for Redis to be healthy and pointed at it, keys
 * from .env, and the port published on loopback only.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parse } from "yaml"
import { appConfig } from "../../src/config/AppConfig.ts"
import { repoRoot } from "../support/Cli.ts"

interface Service {
  readonly build?: unknown
  readonly image?: string
  readonly env_file?: ReadonlyArray<string | { readonly path: string; readonly required?: boolean }> | string
  readonly environment?: Readonly<Record<string, string>>
  readonly ports?: ReadonlyArray<string>
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>
  readonly healthcheck?: { readonly test: ReadonlyArray<string> | string }
  readonly stop_grace_period?: string
  readonly volumes?: ReadonlyArray<string>
}

const compose = parse(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8"), { strict: true, uniqueKeys: true }) as {
  readonly services: Readonly<Record<string, Service>>
  readonly volumes?: Readonly<Record<string, unknown>>
}
const service = compose.services["llm-batch"]!
const redis = compose.services.redis!

describe("docker-compose.yml", () => {
  it("defines the service, built from this Dockerfile, and an official Redis image", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["llm-batch", "redis"])
    expect(service.build).toBe(".")
    expect(redis.image).toMatch(/^redis:\d+(?:[.-][\w.]+)?$/)
  })

  it("health-checks Redis and starts the service only once Redis is healthy", () => {
    expect(redis.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"])
    expect(service.depends_on).toEqual({ redis: { condition: "service_healthy" } })
  })

  it("points the service at Redis and listens on every interface, whatever .env says", () => {
    // `environment` wins over `env_file`: a .env copied from .env.example (HOST=127.0.0.1) must
    // not make the service unreachable from outside its container.
    expect(service.environment).toMatchObject({ REDIS_URL: "redis://redis:6379", HOST: "0.0.0.0", PORT: "8000" })
  })

  it("reads provider keys from .env and publishes port 8000 on loopback only", () => {
    const envFiles = [service.env_file ?? []].flat().map((entry) => typeof entry === "string" ? entry : entry.path)
    expect(envFiles).toEqual([".env"])
    expect(service.ports).toEqual(["127.0.0.1:8000:8000"])
  })

  it("keeps batch jobs on a named volume at the image's data directory", () => {
    // DATA_DIR is left at its default, ./data under the image's WORKDIR /app.
    expect(service.environment?.DATA_DIR).toBeUndefined()
    expect(service.volumes).toEqual(["llm-batch-data:/app/data"])
    expect(Object.keys(compose.volumes ?? {})).toEqual(["llm-batch-data"])
  })

  it("gives a stopping service longer than its own SHUTDOWN_GRACE_MS before Docker kills it", () => {
    const defaults = Effect.runSync(appConfig.parse(ConfigProvider.fromEnv({ env: {} })))
    const seconds = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? "")?.[1])
    expect(seconds * 1000).toBeGreaterThan(defaults.shutdownGraceMs)
  })
})
