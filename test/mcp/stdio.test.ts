import { describe, expect, it, layer } from "@effect/vitest"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js"
import { Context, Effect, Layer } from "effect"
import { runCli } from "../support/Cli.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { allTools, batchResponse, callWithProgress, connectStdio, errorText, eventually, exampleBatch, type McpConnection } from "../support/Mcp.ts"
import { fakeEnvironment } from "../support/TestServer.ts"

/** One `llm-batch mcp` process for the file (spawning one costs seconds); tests use distinct prompts. */
class StdioServer extends Context.Service<StdioServer, McpConnection>()("test/StdioServer") {
  static readonly layer = Layer.effect(
    StdioServer,
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      // Info logs on, to show they stay off stdout.
      return yield* connectStdio({ ...fakeEnvironment(upstream.url), LOG_LEVEL: "Info" })
    })
  ).pipe(Layer.provideMerge(FakeUpstream.layer))
}

layer(StdioServer.layer, { excludeTestServices: true, timeout: "60 seconds" })("MCP over stdio (llm-batch mcp)", (it) => {
  it.effect("lists both tools and runs the example batch with progress, only protocol messages on stdout", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const connection = yield* StdioServer
      const { client, transportErrors, stderr } = connection
      const { tools } = yield* Effect.promise(() => client.listTools())
      expect(tools.map((tool) => tool.name).toSorted()).toEqual(allTools)
      expect(tools.find((tool) => tool.name === "batch_ask")!.inputSchema.required).toEqual(["questions"])
      expect(tools.find((tool) => tool.name === "batch_ask")!.outputSchema?.required).toEqual(["results", "summary"])

      const { answer: result, progress } = yield* callWithProgress(connection, {
        name: "batch_ask",
        arguments: exampleBatch
      })
      expect(batchResponse(result).results.map((r) => r.result)).toEqual([
        "Paris",
        "answer to: What is the population of Paris?",
        "answer to: What is 2 + 2?"
      ])
      expect(progress.map((p) => [p.progress, p.total])).toEqual([[1, 3], [2, 3], [3, 3]])
      // Every stdout line parsed as JSON-RPC (logs, at Info here, went to stderr).
      expect(transportErrors, stderr()).toEqual([])
    }))

  it.effect("returns isError with the planner's message for a batch that fails as a whole", () =>
    Effect.gen(function*() {
      const { client } = yield* StdioServer
      const result = yield* Effect.promise(() =>
        client.callTool({ name: "batch_ask", arguments: { questions: [{ index: 1, question: "{Q9_result}" }] } })
      )
      expect(errorText(result)).toContain("questions[0].question: {Q9_result} refers to index 9")
    }))

  it.effect("notifications/cancelled interrupts the call's in-flight upstream requests", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("stdio slow", { delayMs: 10_000 })
      const { client } = yield* StdioServer
      const abortedBefore = upstream.aborted
      const controller = new AbortController()
      const call = client.callTool(
        { name: "batch_ask", arguments: { questions: [1, 2].map((index) => ({ index, question: `stdio slow ${index}` })) } },
        undefined,
        { signal: controller.signal }
      ).catch((error: unknown) => error)
      yield* eventually(() => upstream.callsFor("stdio slow").length === 2)
      controller.abort("stop")
      yield* eventually(() => upstream.aborted === abortedBefore + 2)
      expect(yield* Effect.promise(() => call)).toBeInstanceOf(Error)
      // The server is still usable after a cancellation.
      const { tools } = yield* Effect.promise(() => client.listTools())
      expect(tools).toHaveLength(allTools.length)
    }))

  it.effect("a message with a malformed `headers` field (a number, an object) is answered; the server goes on", () =>
    Effect.gen(function*() {
      const { client, received } = yield* StdioServer
      // The field is effect's RPC extension, read unchecked: `"headers": 7` used to end the process.
      for (const [id, headers] of [[9001, 7], [9002, { authorization: "Bearer x" }]] as const) {
        yield* Effect.promise(() => client.transport!.send({ jsonrpc: "2.0", id, method: "ping", headers } as JSONRPCMessage))
        yield* eventually(() => received.some((message) => "id" in message && message.id === id))
      }
      const { tools } = yield* Effect.promise(() => client.listTools())
      expect(tools).toHaveLength(allTools.length)
    }))
})

describe("llm-batch mcp as a process", () => {
  it.live("writes nothing but JSON-RPC to stdout and exits 0 when stdin closes", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const messages = [
        { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "raw", version: "1" } } },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: 2, method: "tools/list" }
      ]
      const run = yield* runCli(["mcp"], {
        env: { ...fakeEnvironment(upstream.url), LOG_LEVEL: "Debug" },
        stdin: messages.map((message) => JSON.stringify(message)).join("\n") + "\n"
      })
      expect(run.code, run.stderr).toBe(0)
      const lines = run.stdout.trim().split("\n")
      expect(lines.map((line) => JSON.parse(line).jsonrpc)).toEqual(["2.0", "2.0"])
      expect(JSON.parse(lines[0]!).result.protocolVersion).toBe("2024-11-05")
      expect(JSON.parse(lines[1]!).result.tools).toHaveLength(allTools.length)
    }).pipe(Effect.provide(FakeUpstream.layer)), 60_000)
})
