/** Test helpers: send a batch to the test server and read the typed response. */
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import type { BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { TestServer } from "./TestServer.ts"

export const askBatch = (body: unknown) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    const answer = yield* server.post("/ask", body)
    expect(answer.status, answer.text).toBe(200)
    return answer.body as BatchResponse
  })

/** Asks a single question and returns its result item. */
export const askOne = (question: Record<string, unknown>) =>
  askBatch({ questions: [{ index: 1, ...question }] }).pipe(
    Effect.map((response): ResultItem => response.results[0]!)
  )
