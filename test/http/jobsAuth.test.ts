/**
 * With API_KEYS, a batch job belongs to the key that submitted it: another key gets the 404 of an
 * unknown job on every route (it cannot even learn that the job exists), and no key gets a 401.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"
import { eventually } from "../support/Mcp.ts"
import { bearer, getJob, jobRequest, submitJob } from "../support/jobs.ts"

const owner = "first-key-123"
const other = "second-key-456"
const twoKeys = TestServer.layer({ API_KEYS: `${owner},${other}` })

describe("batch jobs with API_KEYS", () => {
  it.live("another key gets 404 on status, results, questions and cancel, and does not see the job in its list", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 5_000 })
      const job = yield* submitJob({ questions: [{ index: 1, question: "slow" }] }, { key: owner })
      const routes = [
        ["GET", ""],
        ["GET", "/results"],
        ["GET", "/results?follow=true"],
        ["GET", "/questions"],
        ["POST", "/cancel"]
      ] as const
      for (const [method, path] of routes) {
        const answer = yield* jobRequest(`/batches/${job.id}${path}`, { method, headers: bearer(other) })
        expect(answer.status, `${method} ${path}`).toBe(404)
        expect(JSON.parse(answer.text), `${method} ${path}`).toEqual({ error: expect.stringContaining(`no batch job ${job.id}`) })
      }
      const list = yield* jobRequest("/batches", { headers: bearer(other) })
      expect(JSON.parse(list.text)).toEqual({ data: [] })
      // The other key's cancel did nothing: the job still runs for its owner.
      yield* eventually(() => upstream.callsFor("slow").length === 1)
      expect(upstream.aborted).toBe(0)
      expect((yield* getJob(job.id, owner)).status).toBe("running")
      const own = yield* jobRequest("/batches", { headers: bearer(owner) })
      expect((JSON.parse(own.text) as { data: Array<{ id: string }> }).data.map((j) => j.id)).toEqual([job.id])
    }).pipe(Effect.provide(twoKeys)), 60_000)

  it.live("every job route without a valid key is a 401 {\"error\"} asking for one", () =>
    Effect.gen(function*() {
      const job = yield* submitJob({ questions: [{ index: 1, question: "q" }] }, { key: owner })
      const routes = [
        ["POST", "/batches"],
        ["POST", "/batches/estimate"],
        ["GET", "/batches"],
        // The key is checked before the parameters are read.
        ["GET", "/batches?limit=abc"],
        ["GET", `/batches/${job.id}`],
        ["GET", `/batches/${job.id}/results`],
        ["GET", `/batches/${job.id}/questions`],
        ["POST", `/batches/${job.id}/cancel`]
      ] as const
      for (const [method, path] of routes) {
        for (const headers of [{}, bearer("wrong-key")]) {
          const answer = yield* jobRequest(path, {
            method,
            headers: { "content-type": "application/json", ...headers },
            ...(method === "POST" ? { body: JSON.stringify({ questions: [{ index: 1, question: "q" }] }) } : {})
          })
          expect(answer.status, `${method} ${path}`).toBe(401)
          expect(answer.headers.get("www-authenticate"), `${method} ${path}`).toBe("Bearer")
          expect(JSON.parse(answer.text), `${method} ${path}`).toEqual({ error: expect.stringMatching(/API key/) })
        }
      }
    }).pipe(Effect.provide(twoKeys)), 60_000)
})
