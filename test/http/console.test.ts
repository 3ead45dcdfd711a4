/**
 * The web console's pages on the real server (repo_docs/contract.md, *Console*): `GET /` and
 * `/console/*` serve the console built from web/ (test/support/console.ts) with the right types and
 * caching, never a file outside its directory, open even with API_KEYS; a clear 503 when no build
 * is there.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { request } from "node:http"
import { join } from "node:path"
import { routeLabel } from "../../src/http/observe.ts"
import { builtConsole, builtConsoleDir } from "../support/console.ts"
import { scratchDataDir } from "../support/dataDir.ts"
import { bearer } from "../support/jobs.ts"
import { TestServer } from "../support/TestServer.ts"

const secret = "not for the console's visitors"

beforeAll(() => builtConsoleDir(), 180_000)

/**
 * The server with a copy of the built console in `<scratch>/console` and a file beside it, in
 * `<scratch>/secret.txt`, that no console path may reach.
 */
const withConsole = (env: Record<string, string> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const built = yield* builtConsole
    const scratch = yield* scratchDataDir
    cpSync(built, join(scratch, "console"), { recursive: true })
    writeFileSync(join(scratch, "secret.txt"), secret)
    return TestServer.layer({ CONSOLE_DIR: join(scratch, "console"), ...env })
  }))

interface RawAnswer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly text: string
}

/** A GET with the path sent exactly as written: fetch would resolve `..` and `%2e%2e` before sending. */
const rawGet = (path: string, headers: Record<string, string> = {}) =>
  Effect.flatMap(TestServer, (server) =>
    Effect.promise(() =>
      new Promise<RawAnswer>((resolve, reject) => {
        const { hostname, port } = new URL(server.url)
        const outgoing = request({ host: hostname, port, path, headers }, (response) => {
          let text = ""
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => (text += chunk))
          response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }))
        })
        outgoing.on("error", reject)
        outgoing.end()
      })
    ))

/** The page's first script, as Vite wrote it: `/console/assets/index-<hash>.js`. */
const scriptOf = (html: string): string => {
  const src = /<script[^>]*\ssrc="([^"]+)"/.exec(html)?.[1]
  expect(src, html).toMatch(/^\/console\/assets\/[^/]+\.js$/)
  return src!
}

describe("the console's pages", () => {
  it.live("GET / is the built index.html, never cached, with a content security policy", () =>
    Effect.gen(function*() {
      const built = yield* builtConsole
      const page = yield* rawGet("/")
      expect(page.status).toBe(200)
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
      expect(page.headers["cache-control"]).toBe("no-store")
      expect(page.headers["content-security-policy"]).toContain("script-src 'self'")
      expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'")
      expect(page.text).toBe(readFileSync(join(built, "index.html"), "utf8"))
    }).pipe(Effect.provide(withConsole())))

  it.live("its hashed assets are served with their content type and cached for good", () =>
    Effect.gen(function*() {
      const built = yield* builtConsole
      const script = scriptOf((yield* rawGet("/")).text)
      const asset = yield* rawGet(script)
      expect(asset.status).toBe(200)
      expect(asset.headers["content-type"]).toBe("text/javascript; charset=utf-8")
      expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
      expect(asset.text).toBe(readFileSync(join(built, script.slice("/console/".length)), "utf8"))
    }).pipe(Effect.provide(withConsole())))

  it.live("a missing file and every path out of the console's directory are 404 {\"error\"}", () =>
    Effect.gen(function*() {
      const paths = [
        "/console/no-such-file.js",
        "/console/../secret.txt",
        "/console/assets/../../secret.txt",
        "/console/%2e%2e/secret.txt",
        "/console/%2E%2E/secret.txt",
        "/console/..%2fsecret.txt",
        "/console/assets/..%2f..%2fsecret.txt",
        "/console/..%5csecret.txt",
        "/console/%2fetc%2fpasswd",
        "/console/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/console/index.html%00.js",
        "/console/%00"
      ]
      for (const path of paths) {
        const answer = yield* rawGet(path)
        expect(answer.status, path).toBe(404)
        expect(answer.headers["content-type"], path).toContain("application/json")
        expect(JSON.parse(answer.text), path).toEqual({ error: expect.any(String) })
        expect(answer.text, path).not.toContain(secret)
      }
    }).pipe(Effect.provide(withConsole())))

  it.live("with API_KEYS, / and its assets need no key while the API still does", () =>
    Effect.gen(function*() {
      const page = yield* rawGet("/")
      expect(page.status).toBe(200)
      expect((yield* rawGet(scriptOf(page.text))).status).toBe(200)
      expect((yield* rawGet("/batches")).status).toBe(401)
      expect((yield* rawGet("/batches", bearer("console-key"))).status).toBe(200)
    }).pipe(Effect.provide(withConsole({ API_KEYS: "console-key" }))))

  it.live("another method on / is a 405 naming GET", () =>
    Effect.gen(function*() {
      const answer = yield* (yield* TestServer).post("/", {})
      expect(answer.status).toBe(405)
      expect(answer.headers.get("allow")).toBe("GET")
      expect(answer.body).toEqual({ error: expect.stringContaining("use GET") })
    }).pipe(Effect.provide(withConsole())))
})

describe("without a built console", () => {
  const unbuilt = Layer.unwrap(Effect.gen(function*() {
    const empty = join(yield* scratchDataDir, "console")
    mkdirSync(empty)
    return TestServer.layer({ CONSOLE_DIR: empty })
  }))

  it.live("GET / is a 503 {\"error\"} saying to run pnpm build; the API still works", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const page = yield* server.get("/")
      expect(page.status).toBe(503)
      expect(page.body).toEqual({ error: expect.stringMatching(/^the console is not built: .*pnpm build/) })
      expect((yield* server.get("/health")).status).toBe(200)
    }).pipe(Effect.provide(unbuilt)))
})

describe("request metrics", () => {
  it("count every console file under one route label", () => {
    expect(routeLabel("/")).toBe("/")
    expect(routeLabel("/console/assets/index-abc123.js")).toBe("/console/*")
    expect(routeLabel("/console/")).toBe("/console/*")
  })
})
