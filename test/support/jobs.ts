/**
 * Batch job test helpers: the calls every job test makes to the test server (submit, wait until
 * the job ends, read its NDJSON results).
 */
import { expect } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { ResultItem } from "../../src/domain/Batch.ts"
import { finishedStatuses, Job } from "../../src/domain/Job.ts"
import { TestServer } from "./TestServer.ts"

export const decodeJob = Schema.decodeUnknownSync(Job, { onExcessProperty: "error" })
const decodeResult = Schema.decodeUnknownSync(ResultItem, { onExcessProperty: "error" })

/** `Authorization: Bearer <key>`, or nothing. */
export const bearer = (key?: string): Record<string, string> => key === undefined ? {} : { authorization: `Bearer ${key}` }

const request = (path: string, init: RequestInit = {}) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.promise(async () => {
      const response = await fetch(`${server.url}${path}`, init)
      return { status: response.status, headers: response.headers, text: await response.text() }
    })
  })

/** POST /batches with a JSON body (or a raw string and its content type): the 202's Job. */
export const submitJob = (
  body: unknown,
  options: { readonly key?: string; readonly contentType?: string; readonly path?: string } = {}
) =>
  Effect.gen(function*() {
    const answer = yield* request(options.path ?? "/batches", {
      method: "POST",
      headers: { "content-type": options.contentType ?? "application/json", ...bearer(options.key) },
      body: typeof body === "string" ? body : JSON.stringify(body)
    })
    expect(answer.status, answer.text).toBe(202)
    return decodeJob(JSON.parse(answer.text))
  })

export const getJob = (id: string, key?: string) =>
  Effect.gen(function*() {
    const answer = yield* request(`/batches/${id}`, { headers: bearer(key) })
    expect(answer.status, answer.text).toBe(200)
    return decodeJob(JSON.parse(answer.text))
  })

/** Polls GET /batches/{id} until the job has ended (or 30 s pass). */
export const waitForJob = (id: string, key?: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 30_000
    for (;;) {
      const job = yield* getJob(id, key)
      if (finishedStatuses.has(job.status)) return job
      if (Date.now() > deadline) return yield* Effect.die(new Error(`job ${id} still ${job.status} after 30 s`))
      yield* Effect.sleep(25)
    }
  })

/** NDJSON lines, each a ResultItem. */
export const parseResults = (text: string) =>
  text.split("\n").filter((line) => line !== "").map((line) => decodeResult(JSON.parse(line)))

/** GET /batches/{id}/results (with `?follow=true` when asked): status, headers, results. */
export const jobResults = (id: string, options: { readonly follow?: boolean; readonly key?: string } = {}) =>
  Effect.map(
    request(`/batches/${id}/results${options.follow ? "?follow=true" : ""}`, { headers: bearer(options.key) }),
    (answer) => ({ ...answer, results: answer.status === 200 ? parseResults(answer.text) : [] })
  )

export { request as jobRequest }
