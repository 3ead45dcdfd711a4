import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import {
  allTools,
  batchResponse,
  callWithProgress,
  connectHttp,
  errorText,
  eventually,
  exampleBatch,
  resultItem
} from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

const connection = Effect.gen(function*() {
  const server = yield* TestServer
  return yield* connectHttp(server.url)
})
const client = Effect.map(connection, (mcp) => mcp.client)

describe("MCP over Streamable HTTP", () => {
  it.live("lists batch_ask and ask with their input and output schemas", () =>
    Effect.gen(function*() {
      const mcp = yield* client
      const { tools } = yield* Effect.promise(() => mcp.listTools())
      expect(tools.map((tool) => tool.name).toSorted()).toEqual(allTools)
      const batchAsk = tools.find((tool) => tool.name === "batch_ask")!
      expect(batchAsk.description).toContain("{Q<n>_result}")
      expect(batchAsk.description).toContain("sequential")
      expect(batchAsk.inputSchema).toMatchObject({
        type: "object",
        required: ["questions"],
        additionalProperties: false,
        properties: {
          questions: {
            type: "array",
            items: {
              required: ["index", "question"],
              additionalProperties: false,
              properties: {
                // Fields with a default take null too ("not given"); the default is advertised.
                method: { anyOf: [{ enum: ["concurrent", "sequential"] }, { type: "null" }], default: "concurrent" },
                temperature: { anyOf: [{ type: "number", minimum: 0, maximum: 2 }, { type: "null" }], default: 0.2 },
                validation_strategy: {
                  anyOf: [{ enum: ["pydantic", "schema", "json", "none"] }, { type: "null" }],
                  default: "pydantic"
                }
              }
            }
          }
        }
      })
      expect(batchAsk.outputSchema).toMatchObject({
        type: "object",
        required: ["results", "summary"],
        properties: {
          results: {
            type: "array",
            items: { required: expect.arrayContaining(["index", "status", "result", "models_tried", "cost_usd"]) }
          },
          summary: { required: ["succeeded", "failed", "usage", "cost_usd"] }
        }
      })
      const ask = tools.find((tool) => tool.name === "ask")!
      expect(ask.inputSchema.required).toEqual(["question"])
      expect(Object.keys(ask.inputSchema.properties ?? {})).not.toContain("index")
      expect(ask.outputSchema).toMatchObject({ type: "object", properties: { status: { enum: ["success", "error"] } } })
      expect(ask.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("batch_ask runs the original example batch and returns a BatchResponse as structuredContent", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const mcp = yield* client
      const withMeta = { questions: exampleBatch.questions.map((q) => q.index === 3 ? { ...q, meta: { id: "row-3" } } : q) }
      const result = yield* Effect.promise(() => mcp.callTool({ name: "batch_ask", arguments: withMeta }))
      const response = batchResponse(result)
      expect(response.results.map((r) => r.meta)).toEqual([undefined, undefined, { id: "row-3" }])
      expect(response.results.map((r) => [r.index, r.status, r.result])).toEqual([
        [1, "success", "Paris"],
        [2, "success", "answer to: What is the population of Paris?"],
        [3, "success", "answer to: What is 2 + 2?"]
      ])
      expect(response.results[0]).toMatchObject({ model: "openai/gpt-4o-mini", attempts: 1, error_message: null })
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("ask answers one question with one ResultItem", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const mcp = yield* client
      const result = yield* Effect.promise(() =>
        mcp.callTool({ name: "ask", arguments: { question: "Say hi", system: "be brief", model: "anthropic/claude-haiku-4-5" } })
      )
      expect(resultItem(result)).toMatchObject({
        status: "success",
        result: "answer to: Say hi",
        model: "anthropic/claude-haiku-4-5"
      })
      expect(upstream.requests[0]!.body.system).toBe("be brief")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("sends one progress notification per finished question, which keeps a short client timeout alive", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("step", { delayMs: 500 })
      const mcp = yield* connection
      const batch = {
        questions: [1, 2, 3].map((index) => ({ index, question: `step ${index}`, method: "sequential" }))
      }
      // ~1.5 s of work against a 1.2 s timeout: only the per-question progress resets keep it alive.
      const { answer: result, progress } = yield* callWithProgress(
        mcp,
        { name: "batch_ask", arguments: batch },
        { timeout: 1_200, resetTimeoutOnProgress: true }
      )
      expect(batchResponse(result).results.every((r) => r.status === "success")).toBe(true)
      expect(progress.map((p) => [p.progress, p.total])).toEqual([[1, 3], [2, 3], [3, 3]])
      expect(progress[0]!.message).toBe("question 1: success")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("reports invalid arguments as an error result naming each field path", () =>
    Effect.gen(function*() {
      const mcp = yield* client
      const result = yield* Effect.promise(() =>
        mcp.callTool({
          name: "batch_ask",
          arguments: { questions: [{ index: 1, question: "hi", temperature: 5, colour: "red" }] }
        })
      )
      const text = errorText(result)
      expect(text).toContain("questions[0].temperature")
      expect(text).toContain("questions[0].colour: unknown field")
      const missing = yield* Effect.promise(() => mcp.callTool({ name: "ask", arguments: { model: "openai/gpt-4o" } }))
      expect(errorText(missing)).toContain("question: required field is missing")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("returns isError for a batch that fails as a whole, and a normal result when only an item fails", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("broken", { status: 400 })
      const mcp = yield* client
      const duplicate = yield* Effect.promise(() =>
        mcp.callTool({
          name: "batch_ask",
          arguments: { questions: [{ index: 1, question: "a" }, { index: 1, question: "b" }] }
        })
      )
      expect(errorText(duplicate)).toContain("index 1 is already used")
      expect(upstream.requests).toHaveLength(0)

      const partial = yield* Effect.promise(() =>
        mcp.callTool({ name: "batch_ask", arguments: { questions: [{ index: 1, question: "broken" }, { index: 2, question: "fine" }] } })
      )
      const response = batchResponse(partial)
      expect(response.results.map((r) => r.status)).toEqual(["error", "success"])
      expect(response.results[0]!.error_message).toContain("400")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("cancelling a call aborts its in-flight upstream requests", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 10_000 })
      const mcp = yield* client
      const controller = new AbortController()
      const call = mcp.callTool(
        { name: "batch_ask", arguments: { questions: [1, 2, 3].map((index) => ({ index, question: `slow ${index}` })) } },
        undefined,
        { signal: controller.signal }
      ).catch((error: unknown) => error)
      yield* eventually(() => upstream.requests.length === 3)
      controller.abort("the user pressed stop")
      yield* eventually(() => upstream.aborted === 3)
      expect(yield* Effect.promise(() => call)).toBeInstanceOf(Error)
    }).pipe(Effect.provide(TestServer.layer())))
})
