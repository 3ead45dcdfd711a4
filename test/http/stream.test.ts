import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { ResultItem } from "../../src/domain/Batch.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

interface Line {
  readonly item: ResultItem
  /** Milliseconds since the request was sent. */
  readonly at: number
}

const decodeItem = Schema.decodeUnknownSync(ResultItem)

/** POSTs to /ask/stream and reads the body line by line as it arrives. */
const streamLines = (body: unknown, options: { readonly stopAfter?: number; readonly signal?: AbortController } = {}) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    return yield* Effect.promise(async () => {
      const started = Date.now()
      const controller = options.signal ?? new AbortController()
      const response = await fetch(`${server.url}/ask/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: controller.signal
      })
      const lines: Array<Line> = []
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ""
      while (options.stopAfter === undefined || lines.length < options.stopAfter) {
        const chunk = await reader.read()
        if (chunk.done) break
        buffer += chunk.value
        let newline = buffer.indexOf("\n")
        while (newline >= 0) {
          lines.push({ item: decodeItem(JSON.parse(buffer.slice(0, newline))), at: Date.now() - started })
          buffer = buffer.slice(newline + 1)
          newline = buffer.indexOf("\n")
        }
      }
      if (options.stopAfter !== undefined) controller.abort()
      expect(buffer).toBe("")
      return { status: response.status, contentType: response.headers.get("content-type"), lines }
    })
  })

describe("POST /ask/stream", () => {
  it.live("writes one ResultItem per line, each as soon as its question finishes", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 2_000 })
      upstream.always("medium", { delayMs: 700 })
      const { status, contentType, lines } = yield* streamLines({
        questions: [
          { index: 1, question: "slow one" },
          { index: 2, question: "medium one" },
          { index: 3, question: "quick one" }
        ]
      })
      expect(status).toBe(200)
      expect(contentType).toBe("application/x-ndjson")
      expect(lines.map((line) => line.item.index)).toEqual([3, 2, 1])
      expect(lines.every((line) => line.item.status === "success")).toBe(true)
      // The quick line was readable long before the slow question was answered (gaps, not absolute
      // times, so a loaded machine does not flake).
      expect(lines[2]!.at - lines[0]!.at).toBeGreaterThanOrEqual(1_000)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("streams a chain in dependency order, with the same items POST /ask returns", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris", delayMs: 100 })
      const { lines } = yield* streamLines({
        questions: [
          { index: 2, question: "What is the population of {Q1_result}?" },
          { index: 1, question: "What is the capital of France?" }
        ]
      })
      expect(lines.map((line) => [line.item.index, line.item.result])).toEqual([
        [1, "Paris"],
        [2, "answer to: What is the population of Paris?"]
      ])
      expect(lines[0]!.item).toMatchObject({ model: "openai/gpt-4o-mini", attempts: 1, error_message: null })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("rejects a batch that is invalid as a whole with a 400 before any line", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const upstream = yield* FakeUpstream
      const duplicate = yield* server.post("/ask/stream", { questions: [{ index: 1, question: "a" }, { index: 1, question: "b" }] })
      expect(duplicate.status).toBe(400)
      expect(duplicate.body).toEqual({ error: expect.stringContaining("index 1 is already used") })
      const unknownField = yield* server.post("/ask/stream", { questions: [{ index: 1, question: "a", colour: "red" }] })
      expect(unknownField.status).toBe(400)
      expect(unknownField.body).toEqual({ error: "questions[0].colour: unknown field" })
      const notJson = yield* server.post("/ask/stream", "{")
      expect(notJson.status).toBe(400)
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("a client that disconnects interrupts the in-flight upstream calls, and nothing more is sent", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 10_000 })
      const { lines } = yield* streamLines({
        questions: [
          { index: 1, question: "quick" },
          { index: 2, question: "slow a" },
          { index: 3, question: "slow b" },
          { index: 4, question: "after {Q2_result}" }
        ]
      }, { stopAfter: 1 })
      expect(lines.map((line) => line.item.index)).toEqual([1])
      yield* eventually(() => upstream.aborted === 2)
      yield* Effect.sleep(100)
      expect(upstream.callsFor("after")).toHaveLength(0)
    }).pipe(Effect.provide(TestServer.layer())))
})
