/**
 * MCP test helpers: the official SDK client connected to the test server over Streamable HTTP, or
 * to `llm-batch mcp` over stdio; raw JSON-RPC POSTs for what the SDK would not send; the example batch.
 */
import { expect } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js"
import {
  type CallToolRequest,
  type CallToolResult,
  CallToolResultSchema,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  ProgressNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { Effect, Schema } from "effect"
import { BatchResponse, ResultItem } from "../../src/domain/Batch.ts"
import { compileCacheEnv } from "./childEnv.ts"
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
export const allTools = ["ask", "batch_ask", "batch_cancel", "batch_estimate", "batch_results", "batch_status", "batch_submit"]

export interface McpConnection {
  readonly client: Client
  /** Errors the transport reported (e.g. a stdout line that is not JSON-RPC). */
  readonly transportErrors: Array<Error>
  /** What the server wrote to stderr (stdio only). */
  readonly stderr: () => string
  /** Every message from the server, in arrival order, as the transport handed it to the client. */
  readonly received: Array<JSONRPCMessage>
}

/**
 * The SDK client handles a notification a microtask after it arrives but a response at once, so
 * progress sent just before a response, arriving in the same read, finds its handler gone and is
 * reported as an unknown token (modelcontextprotocol/typescript-sdk#2580). `callWithProgress`
 * checks those tokens on the wire instead.
 */
const lateProgress = (error: Error) => error.message.startsWith("Received a progress notification for an unknown token")

/** The SDK client on any transport, recording what the server sends. */
export const connect = (transport: Transport, stderr: () => string = () => "") =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<McpConnection> => {
      const client = new Client({ name: "llm-batch-test", version: "1.0.0" })
      const transportErrors: Array<Error> = []
      client.onerror = (error) => {
        if (!lateProgress(error)) transportErrors.push(error)
      }
      await client.connect(transport)
      const received: Array<JSONRPCMessage> = []
      const dispatch = transport.onmessage
      transport.onmessage = (message: JSONRPCMessage) => {
        received.push(message)
        dispatch?.(message)
      }
      return { client, transportErrors, stderr, received }
    }),
    ({ client }) => Effect.promise(() => client.close())
  )

/** The SDK client over Streamable HTTP against `<url>/mcp`. */
export const connectHttp = (url: string, headers: Record<string, string> = {}) =>
  connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }))

/** Spawns `node src/cli/main.ts mcp` with exactly `env` (plus PATH) and connects over stdio. */
export const connectStdio = (env: Record<string, string>) =>
  Effect.suspend(() => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, "mcp"],
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", ...compileCacheEnv(), ...env },
      stderr: "pipe"
    })
    let stderr = ""
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    return connect(transport, () => stderr)
  })

type ToolCallAnswer = Awaited<ReturnType<Client["callTool"]>>

/**
 * Calls a tool with a progress token and returns its answer with the progress notifications the
 * server sent for it, read off the wire: all carry the call's token and arrive before its response.
 */
export const callWithProgress = (
  { client, received }: McpConnection,
  params: CallToolRequest["params"],
  options: Omit<RequestOptions, "onprogress"> = {}
) =>
  Effect.promise(async () => {
    const from = received.length
    const answer = await client.callTool(params, undefined, { ...options, onprogress: () => {} })
    const messages = received.slice(from)
    const response = messages.find(isJSONRPCResultResponse)
    if (response === undefined) throw new Error("the call's response was not seen on the wire")
    const responseAt = messages.indexOf(response)
    const progressIn = (part: Array<JSONRPCMessage>) =>
      part.flatMap((message) => {
        const parsed = ProgressNotificationSchema.safeParse(message)
        return parsed.success ? [parsed.data.params] : []
      })
    const progress = progressIn(messages.slice(0, responseAt))
    expect(progress.map((p) => p.progressToken)).toEqual(progress.map(() => response.id))
    expect(progressIn(messages.slice(responseAt + 1))).toEqual([])
    return { answer, progress }
  })

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
