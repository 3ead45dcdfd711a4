/**
 * The HTTP contract as served: /openapi.json is a valid OpenAPI 3.1 document generated from the
 * domain Schemas, /docs renders it without the network, and the bearer scheme it lists is enforced.
 */
import { Validator } from "@seriousme/openapi-schema-validator"
import { describe, expect, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { Effect } from "effect"
import { BatchRequest, BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { ErrorBody } from "../../src/domain/Http.ts"
import { inline, type JsonObject, jsonSchemaOf } from "../support/jsonSchema.ts"
import { TestServer } from "../support/TestServer.ts"

const openApi = Effect.gen(function*() {
  const answer = yield* (yield* TestServer).get("/openapi.json")
  expect(answer.status).toBe(200)
  const document = answer.body as JsonObject & { readonly paths: Record<string, Record<string, JsonObject>> }
  const components = (document["components"] as { readonly schemas: JsonObject }).schemas
  return { document, resolve: (value: unknown) => inline(value, components) }
})

const mediaSchema = (operation: JsonObject | undefined, place: "requestBody" | "200", type: string) => {
  const holder = place === "requestBody" ? operation?.["requestBody"] : (operation?.["responses"] as JsonObject)["200"]
  return ((holder as JsonObject)["content"] as Record<string, JsonObject>)[type]?.["schema"]
}

describe("the HTTP contract", () => {
  it.live("serves /openapi.json, which an OpenAPI 3.1 validator accepts", () =>
    Effect.gen(function*() {
      const { document } = yield* openApi
      const validator = new Validator()
      const result = yield* Effect.promise(() => validator.validate(document))
      expect(result.errors).toBeUndefined()
      expect(result.valid).toBe(true)
      expect(validator.version).toBe("3.1")
      expect(document["info"]).toMatchObject({ title: "llm-batch", version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("declares POST /ask's body as exactly the JSON Schema of BatchRequest", () =>
    Effect.gen(function*() {
      const { document, resolve } = yield* openApi
      const body = resolve(mediaSchema(document.paths["/ask"]?.["post"], "requestBody", "application/json"))
      expect(body).toEqual(jsonSchemaOf(BatchRequest))
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("declares fallbacks, max_cost_usd, models_tried, cost_usd and the summary, with their descriptions", () =>
    Effect.gen(function*() {
      const { document, resolve } = yield* openApi
      const ask = document.paths["/ask"]?.["post"]
      const body = resolve(mediaSchema(ask, "requestBody", "application/json")) as JsonObject
      const answer = resolve(mediaSchema(ask, "200", "application/json"))
      expect(answer).toEqual(jsonSchemaOf(BatchResponse))
      const text = JSON.stringify({ body, answer })
      for (const field of ["fallbacks", "max_cost_usd", "models_tried", "cost_usd", "summary"]) {
        expect(text).toContain(`"${field}"`)
      }
      expect(text).toContain("FALLBACKS for this question")
      expect(text).toContain("budget exceeded")
      expect((answer as { readonly required: ReadonlyArray<string> }).required).toEqual(["results", "summary"])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("declares POST /ask/stream's answer as NDJSON lines of ResultItem", () =>
    Effect.gen(function*() {
      const { document, resolve } = yield* openApi
      const stream = document.paths["/ask/stream"]?.["post"]
      expect(resolve(mediaSchema(stream, "requestBody", "application/json"))).toEqual(jsonSchemaOf(BatchRequest))
      expect(resolve(mediaSchema(stream, "200", "application/x-ndjson"))).toEqual(jsonSchemaOf(ResultItem))
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("describes every error answer as {\"error\": …}, with its status", () =>
    Effect.gen(function*() {
      const { document, resolve } = yield* openApi
      const statuses = new Set<string>()
      for (const operations of Object.values(document.paths)) {
        for (const operation of Object.values(operations)) {
          for (const [status, response] of Object.entries(operation["responses"] as Record<string, JsonObject>)) {
            if (Number(status) < 400) continue
            statuses.add(status)
            const content = response["content"] as Record<string, JsonObject>
            expect(Object.keys(content), status).toEqual(["application/json"])
            expect(resolve(content["application/json"]!["schema"]), status).toEqual(jsonSchemaOf(ErrorBody))
          }
        }
      }
      expect([...statuses].sort()).toEqual(["400", "401", "404", "413", "415", "500"])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("answers each body error of both batch routes with its declared status and exactly {\"error\": …}", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const { document } = yield* openApi
      const cases = [
        ["not JSON", "{", {}, 400],
        ["not a batch", JSON.stringify({ questions: [{ index: 1 }] }), {}, 400],
        ["not JSON by its content type", "x", { "content-type": "text/plain" }, 415],
        ["too large", JSON.stringify({ questions: [{ index: 1, question: "x".repeat(2_000) }] }), {}, 413]
      ] as const
      for (const path of ["/ask", "/ask/stream"]) {
        const declared = Object.keys(document.paths[path]?.["post"]?.["responses"] as JsonObject)
        for (const [name, body, headers, status] of cases) {
          const answer = yield* server.post(path, body, {
            headers: { "content-type": "application/json", ...headers }
          })
          expect(answer.status, `${path}: ${name}`).toBe(status)
          expect(declared, `${path}: ${name}`).toContain(String(status))
          expect(answer.headers.get("content-type"), `${path}: ${name}`).toContain("application/json")
          expect(Object.keys(answer.body as JsonObject), `${path}: ${name}`).toEqual(["error"])
        }
      }
    }).pipe(Effect.provide(TestServer.layer({ MAX_BODY_BYTES: "1024" }))))

  it.live("lists the bearer scheme, required by the batch routes and not by /health", () =>
    Effect.gen(function*() {
      const { document } = yield* openApi
      // HTTP auth scheme names are case-insensitive (RFC 9110).
      expect(document["components"]).toMatchObject({
        securitySchemes: { bearer: { type: "http", scheme: expect.stringMatching(/^bearer$/i) } }
      })
      for (const [method, path] of [["post", "/ask"], ["post", "/ask/stream"], ["get", "/models/response"]] as const) {
        expect(document.paths[path]?.[method]?.["security"], path).toEqual([{ bearer: [] }])
      }
      expect(document.paths["/health"]?.["get"]?.["security"]).toEqual([])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("serves /docs as a page that loads nothing from the network", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const page = yield* Effect.promise(async () => {
        const r = await fetch(`${server.url}/docs`)
        return { r, text: await r.text() }
      })
      expect(page.r.status).toBe(200)
      expect(page.r.headers.get("content-type")).toContain("text/html")
      // Scalar's script is in the page itself; no <script src>, stylesheet or font from elsewhere.
      expect(page.text).toContain("createApiReference")
      expect(page.text).not.toMatch(/<script[^>]*\ssrc=/i)
      expect(page.text).not.toMatch(/<link[^>]*\shref=["']?(https?:)?\/\//i)
      expect(page.text).toContain('"withDefaultFonts":false')
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("sends /docs with a Content-Security-Policy: its own inline scripts only (by hash), no framing", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const page = yield* Effect.promise(async () => {
        const r = await fetch(`${server.url}/docs`)
        return { policy: r.headers.get("content-security-policy") ?? "", text: await r.text() }
      })
      expect(page.policy).toContain("frame-ancestors 'none'")
      expect(page.policy).toContain("object-src 'none'")
      const scriptSrc = /script-src ([^;]*)/.exec(page.policy)?.[1]?.split(" ") ?? []
      const inline = [...page.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) =>
        `'sha256-${createHash("sha256").update(match[1]!).digest("base64")}'`
      )
      expect(inline).toHaveLength(2)
      expect(scriptSrc.toSorted()).toEqual(inline.toSorted())
    }).pipe(Effect.provide(TestServer.layer())))
})

describe("the HTTP contract with API_KEYS", () => {
  const withKeys = TestServer.layer({ API_KEYS: "first-key-123" })

  it.live("answers POST /ask without a key 401 {\"error\": …}, as the document says", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const answer = yield* server.post("/ask", { questions: [{ index: 1, question: "hello" }] })
      expect(answer.status).toBe(401)
      expect(answer.headers.get("www-authenticate")).toBe("Bearer")
      expect(Object.keys(answer.body as JsonObject)).toEqual(["error"])
      const { document } = yield* openApi
      expect(Object.keys(document.paths["/ask"]?.["post"]?.["responses"] as JsonObject)).toContain("401")
    }).pipe(Effect.provide(withKeys)))

  it.live("keeps /openapi.json and /docs open: they describe the routes, they run nothing", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      expect((yield* server.get("/openapi.json")).status).toBe(200)
      expect((yield* server.get("/docs")).status).toBe(200)
    }).pipe(Effect.provide(withKeys)))
})
