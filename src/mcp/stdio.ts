/**
 * MCP over stdio, for hosts that launch the server as a subprocess (`llm-batch mcp`): JSON-RPC
 * on stdin/stdout and nothing else there — every log line goes to stderr. A
 * `notifications/cancelled` from the host interrupts that call's in-flight upstream requests.
 */
import { Effect, Layer, Logger, Predicate, Stdio, Stream } from "effect"
import { McpServer } from "effect/ai"
import { LogLevelLayer, ServicesWithJobsIfAvailableLayer } from "../services.ts"
import { NoJobOwner } from "./jobTools.ts"
import { protocols, registrations, serverInfo } from "./server.ts"

/**
 * One stdin line without the message's `headers` field: stdio has no headers (the caller is whoever
 * started the process), and effect reads that field unchecked — `"headers": 7` ended the server.
 */
export const withoutHeaders = (line: string): string => {
  if (!line.includes("\"headers\"")) return line
  let message: unknown
  try {
    message = JSON.parse(line)
  } catch {
    // Not JSON: the MCP server answers it.
    return line
  }
  if (!Predicate.isObject(message) || Array.isArray(message) || !("headers" in message)) return line
  const { headers: _ignored, ...rest } = message
  return JSON.stringify(rest)
}

const StdinWithoutHeaders = Layer.effect(
  Stdio.Stdio,
  Effect.map(Stdio.Stdio, (stdio) =>
    Stdio.make({
      ...stdio,
      stdin: stdio.stdin.pipe(
        Stream.decodeText,
        Stream.splitLines,
        Stream.map((line) => `${withoutHeaders(line)}\n`),
        Stream.encodeText
      )
    }))
)

/** Needs `Stdio` (NodeServices / NodeStdio) and the environment's configuration. */
export const McpStdioLayer = McpServer.layerStdio({
  ...serverInfo,
  protocols,
  // stdio has no caller key: every job belongs to the host that launched the server.
  registrations: registrations(NoJobOwner.layer)
}).pipe(
  Layer.provide(StdinWithoutHeaders),
  Layer.provide(LogLevelLayer),
  Layer.provide(ServicesWithJobsIfAvailableLayer),
  // stdout belongs to the protocol: one stray log line there breaks the host's JSON-RPC parser.
  Layer.provide(Layer.succeed(Logger.LogToStderr, true))
)
