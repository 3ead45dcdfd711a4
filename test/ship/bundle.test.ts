/**
 * What `pnpm start` and the image run is the bundle `pnpm build` makes, not src/. It is built here
 * into a temporary directory outside the checkout, where no node_modules can be found: the service
 * and the CLI must work with what dist/ holds, lazily loaded SDK and Redis chunks included.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { once } from "node:events"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildDist } from "../../scripts/build.ts"
import type { BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { runCli } from "../support/Cli.ts"
import { runOnOldNode } from "../support/oldNode.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { redisClient, redisPrefix, sharedRedisUrl } from "../support/Redis.ts"
import { startService } from "../support/service.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

const dist = mkdtempSync(join(tmpdir(), "llm-batch-dist-"))
beforeAll(() => buildDist(dist), 60_000)
afterAll(() => rmSync(dist, { recursive: true, force: true }))

const questions = [
  { index: 1, question: "bundle question for OpenAI", model: "openai/gpt-4o-mini" },
  { index: 2, question: "bundle question for Anthropic", model: "anthropic/claude-3-5-haiku-latest" }
]

const ask = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ questions })
    })
    expect(response.status).toBe(200)
    return (await response.json() as BatchResponse).results
  })

describe("the bundle (pnpm build)", () => {
  it("has the service and the CLI entry points, and the web console", () => {
    expect(existsSync(join(dist, "main.js"))).toBe(true)
    expect(existsSync(join(dist, "cli.js"))).toBe(true)
    expect(existsSync(join(dist, "console", "index.html"))).toBe(true)
  })

  it("on a Node older than 22.18, dist/main.js and dist/cli.js print one line saying which Node to get, and exit 1", () => {
    for (const [file, args] of [["main.js", []], ["cli.js", ["--help"]]] as const) {
      const run = runOnOldNode(join(dist, file), args)
      expect(run.code, run.stderr).toBe(1)
      expect(run.stdout).toBe("")
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1)
      expect(run.stderr).toMatch(/^llm-batch needs Node\.js >= 22\.18 \(this is v\d+\.\d+\.\d+\).*node@24.*scripts\/dev/)
    }
  })

  it.live("serves the console and /ask through both SDKs with the Redis cache, then stops on SIGTERM", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const prefix = yield* redisPrefix
      const redis = yield* redisClient
      const env = { ...fakeEnvironment(upstream.url), REDIS_URL: sharedRedisUrl, CACHE_KEY_PREFIX: prefix }
      const { child, url, output } = yield* startService(env, join(dist, "main.js"))

      // The console beside the bundle (dist/console), found without CONSOLE_DIR.
      const page = yield* Effect.promise(() => fetch(`${url}/`))
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")

      const first = yield* ask(url)
      expect(first.map((r) => [r.index, r.status, r.result, r.cached])).toEqual([
        [1, "success", "answer to: bundle question for OpenAI", false],
        [2, "success", "answer to: bundle question for Anthropic", false]
      ])
      expect(upstream.requests.map((r) => r.protocol).sort()).toEqual(["anthropic", "openai"])

      // Redis writes land in the background; the second batch is answered from Redis alone.
      while ((yield* Effect.promise(() => redis.keys(`${prefix}*`))).length < 2) yield* Effect.sleep(20)
      const second = yield* ask(url)
      expect(second.map((r) => r.cached)).toEqual([true, true])
      expect(upstream.requests).toHaveLength(2)

      const exited = once(child, "exit")
      child.kill("SIGTERM")
      const [code] = yield* Effect.promise(() => exited)
      expect(code, output()).toBe(0)
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)

  it.live("runs the CLI: llm-batch ask from stdin", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const run = yield* runCli(["ask", "-"], {
        entry: join(dist, "cli.js"),
        env: fakeEnvironment(upstream.url),
        stdin: questions.map((q) => JSON.stringify(q)).join("\n")
      })
      expect(run.code, run.stderr).toBe(0)
      const results = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as ResultItem)
      expect(results.map((r) => r.status)).toEqual(["success", "success"])
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)
})
