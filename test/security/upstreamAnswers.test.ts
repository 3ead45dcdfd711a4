/**
 * One batch gets every malformed upstream answer of both protocols next to a good question: on
 * each surface every question still gets exactly one ResultItem, the good one an answer and each
 * malformed one an error saying what was wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema, Stream } from "effect"
import { LlmBatchClient } from "../../src/rpc/client.ts"
import { ResultItem } from "../../src/domain/Batch.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { malformedBatch } from "../support/malformedAnswers.ts"
import { batchResponse, connectHttp } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const decodeItem = Schema.decodeUnknownSync(ResultItem)

/** Scripts the fake for the batch and returns it with a check of the items a surface returned. */
const setUp = Effect.gen(function*() {
  const upstream = yield* FakeUpstream
  const { batch, script, expected } = malformedBatch()
  script(upstream)
  const check = (items: ReadonlyArray<ResultItem>) => {
    expect(items.map((item) => item.index).toSorted((a, b) => a - b)).toEqual(batch.questions.map((q) => q.index))
    for (const item of items) {
      if (item.index === 1) {
        expect(item).toMatchObject({ status: "success", result: "answer to: a good question" })
      } else {
        expect(item.status, `item ${item.index}`).toBe("error")
        expect(item.error_message, `item ${item.index}`).toContain(expected.get(item.index))
      }
    }
  }
  return { batch, check }
})

describe("malformed upstream answers on every surface", () => {
  it.live("POST /ask answers 200 with the good answer and one error per malformed answer", () =>
    Effect.gen(function*() {
      const { batch, check } = yield* setUp
      const server = yield* TestServer
      const answer = yield* server.post("/ask", batch)
      expect(answer.status, answer.text).toBe(200)
      check((answer.body as { results: ReadonlyArray<unknown> }).results.map((item) => decodeItem(item)))
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("POST /ask/stream writes a line for every question, to the end", () =>
    Effect.gen(function*() {
      const { batch, check } = yield* setUp
      const server = yield* TestServer
      const text = yield* Effect.promise(async () => {
        const response = await fetch(`${server.url}/ask/stream`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(batch)
        })
        expect(response.status).toBe(200)
        return response.text()
      })
      expect(text.endsWith("\n")).toBe(true)
      check(text.trimEnd().split("\n").map((line) => decodeItem(JSON.parse(line))))
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("MCP batch_ask returns a normal result holding every item", () =>
    Effect.gen(function*() {
      const { batch, check } = yield* setUp
      const server = yield* TestServer
      const { client } = yield* connectHttp(server.url)
      const result = yield* Effect.promise(() => client.callTool({ name: "batch_ask", arguments: batch }))
      check(batchResponse(result).results)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("RPC Ask and AskStream return every item", () =>
    Effect.gen(function*() {
      const { batch, check } = yield* setUp
      const server = yield* TestServer
      const context = yield* Layer.build(LlmBatchClient.layer({ url: `${server.url}/rpc` }))
      const client = Context.get(context, LlmBatchClient)
      check((yield* client.Ask(batch)).results)
      check(yield* client.AskStream(batch).pipe(Stream.runCollect))
    }).pipe(Effect.provide(TestServer.layer())))
})
