/**
 * MCP test helpers: the official SDK client connected to the test server over Streamable HTTP, or
 * to `llm-batch mcp` over stdio; raw JSON-RPC POSTs for what the SDK would not send; the example batch.
 */
import { expect } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { type CallToolResult, CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Schema } from "effect"
import { BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { cliPath, repoRoot } from "./Cli.ts"

/** The original service's example: a sequential chain embedding Q1, and a concurrent question. */
export const exampleBatch = {
  questions: [
    { index: 1, question: "What is the capital of France?", method: "sequential" },
    { index: 2, question: "What is the population of {Q1_result}?", method: "sequential" },
    { index: 3, question: "What is 2 + 2?", method: "concurrent" }
  ]
}

/** Every tool the server lists, sorted by name: the batch tools and the batch job tools. */
export const allTools = ["ask", "batch_ask", "batch_cancel", "batch_results", "batch_status", "batch_submit"]

export interface McpConnection {
  readonly client: Client
  /** Errors the transport reported (e.g. a stdout line that is not JSON-RPC). */
  readonly transportErrors: Array<Error>
  /** What the server wrote to stderr (stdio only). */
  readonly stderr: () => string
}

const connect = (transport: StdioClientTransport | StreamableHTTPClientTransport, stderr: () => string) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<McpConnection> => {
      const client = new Client({ name: "llm-batch-test", version: "1.0.0" })
      const transportErrors: Array<Error> = []
      client.onerror = (error) => transportErrors.push(error)
      await client.connect(transport)
      return { client, transportErrors, stderr }
    }),
    ({ client }) => Effect.promise(() => client.close())
  )

/** The SDK client over Streamable HTTP against `<url>/mcp`. */
export const connectHttp = (url: string, headers: Record<string, string> = {}) =>
  connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }), () => "")

/** Spawns `node src/cli/main.ts mcp` with exactly `env` (plus PATH) and connects over stdio. */
export const connectStdio = (env: Record<string, string>) =>
  Effect.suspend(() => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "mcp"],
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", ...env },
      stderr: "pipe"
    })
    let stderr = ""
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    return connect(transport, () => stderr)
  })

type ToolCallAnswer = Awaited<ReturnType<Client["callTool"]>>

/** Narrows the SDK's answer (which also allows the 2024-era `toolResult` shape) to a CallToolResult. */
const toolResult = (answer: ToolCallAnswer): CallToolResult => CallToolResultSchema.parse(answer)

/** Reads a tool result's structured content as the domain Schema says it must be. */
export const structured = <A>(decode: (input: unknown) => A) => (answer: ToolCallAnswer): A => {
  const result = toolResult(answer)
  expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false)
  // The text copy carries the same JSON, for clients that ignore structuredContent.
  expect(result.content).toEqual([{ type: "text", text: JSON.stringify(result.structuredContent) }])
  return decode(result.structuredContent)
}

export const batchResponse = structured(Schema.decodeUnknownSync(BatchResponse))
export const resultItem = structured(Schema.decodeUnknownSync(ResultItem))

/** The text of an error result (`isError: true`). */
export const errorText = (answer: ToolCallAnswer): string => {
  const result = toolResult(answer)
  expect(result.isError).toBe(true)
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n")
}

/** Polls a condition (the fake upstream's counters) until it holds or 10 s pass. */
export const eventually = (condition: () => boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 10_000
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error("condition not met within 10 s"))
      yield* Effect.sleep(10)
    }
  })
