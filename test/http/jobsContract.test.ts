/**
 * The batch job routes in the served OpenAPI document: each route, its request and answer
 * schemas (the domain's; the estimate's request is the submit's), the 404 of an unknown job and
 * the bearer scheme.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { QuestionItem, ResultItem } from "../../src/domain/Batch.ts"
import { JobEstimate } from "../../src/domain/Estimate.ts"
import { Job, JobList, JobRequest } from "../../src/domain/Job.ts"
import { inline, isObject, type JsonObject, jsonSchemaOf } from "../support/jsonSchema.ts"
import { TestServer } from "../support/TestServer.ts"

const at = (value: unknown, ...path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value)

describe("the batch job routes in /openapi.json", () => {
  it.live("are all listed, behind the bearer scheme, with a 404 for an unknown job", () =>
    Effect.gen(function*() {
      const document = (yield* (yield* TestServer).get("/openapi.json")).body as JsonObject
      const routes = [
        ["post", "/batches", ["202", "400", "401", "413", "415", "500"]],
        ["post", "/batches/estimate", ["200", "400", "401", "413", "415", "500"]],
        ["get", "/batches", ["200", "400", "401", "500"]],
        ["get", "/batches/{id}", ["200", "400", "401", "404", "500"]],
        ["get", "/batches/{id}/results", ["200", "400", "401", "404", "500"]],
        ["get", "/batches/{id}/questions", ["200", "400", "401", "404", "500"]],
        ["post", "/batches/{id}/cancel", ["200", "400", "401", "404", "500"]]
      ] as const
      for (const [method, path, statuses] of routes) {
        const operation = at(document, "paths", path, method)
        expect(operation, `${method} ${path}`).toBeDefined()
        expect(Object.keys(at(operation, "responses") as JsonObject).sort(), `${method} ${path}`).toEqual([...statuses])
        expect(at(operation, "security"), `${method} ${path}`).toEqual([{ bearer: [] }])
      }
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("declare the domain schemas: JobRequest or JSONL QuestionItems in, Job, JobList and NDJSON ResultItems and QuestionItems out", () =>
    Effect.gen(function*() {
      const document = (yield* (yield* TestServer).get("/openapi.json")).body as JsonObject
      const components = at(document, "components", "schemas") as JsonObject
      const schemaOf = (...path: ReadonlyArray<string>) => inline(at(document, "paths", ...path, "schema"), components)
      const submit = ["/batches", "post"]
      expect(schemaOf(...submit, "requestBody", "content", "application/json")).toEqual(jsonSchemaOf(JobRequest))
      for (const type of ["application/jsonl", "application/x-ndjson"]) {
        expect(schemaOf(...submit, "requestBody", "content", type), type).toEqual(jsonSchemaOf(QuestionItem))
      }
      expect(schemaOf(...submit, "responses", "202", "content", "application/json")).toEqual(jsonSchemaOf(Job))
      // The estimate takes exactly what a submit takes.
      const estimate = ["/batches/estimate", "post"]
      for (const type of ["application/json", "application/jsonl", "application/x-ndjson"]) {
        expect(schemaOf(...estimate, "requestBody", "content", type), type).toEqual(schemaOf(...submit, "requestBody", "content", type))
      }
      expect(schemaOf(...estimate, "responses", "200", "content", "application/json")).toEqual(jsonSchemaOf(JobEstimate))
      expect(schemaOf("/batches", "get", "responses", "200", "content", "application/json")).toEqual(jsonSchemaOf(JobList))
      expect(schemaOf("/batches/{id}", "get", "responses", "200", "content", "application/json")).toEqual(jsonSchemaOf(Job))
      expect(schemaOf("/batches/{id}/results", "get", "responses", "200", "content", "application/x-ndjson"))
        .toEqual(jsonSchemaOf(ResultItem))
      expect(schemaOf("/batches/{id}/questions", "get", "responses", "200", "content", "application/x-ndjson"))
        .toEqual(jsonSchemaOf(QuestionItem))
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("declare the lane a job may take (default sync) and the provider batches a Job shows", () =>
    Effect.gen(function*() {
      const document = (yield* (yield* TestServer).get("/openapi.json")).body as JsonObject
      const components = at(document, "components", "schemas") as JsonObject
      const schemaOf = (...path: ReadonlyArray<string>) => inline(at(document, "paths", ...path, "schema"), components)
      const request = schemaOf("/batches", "post", "requestBody", "content", "application/json")
      expect(at(request as JsonObject, "properties", "lane")).toMatchObject({
        anyOf: [{ type: "string", enum: ["sync", "batch", "auto"] }, { type: "null" }],
        default: "sync"
      })
      const job = schemaOf("/batches/{id}", "get", "responses", "200", "content", "application/json") as JsonObject
      expect(at(job, "required")).toEqual(expect.arrayContaining(["lane", "provider_batches"]))
      expect(at(job, "properties", "provider_batches", "items")).toMatchObject({
        required: ["provider", "id", "wave", "status", "requests", "succeeded", "failed"],
        properties: { status: { enum: expect.arrayContaining(["submitting", "in_progress", "ended", "expired"]) } }
      })
    }).pipe(Effect.provide(TestServer.layer())))
})
