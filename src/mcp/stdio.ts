/**
 * MCP over stdio, for hosts that launch the server as a subprocess (`llm-batch mcp`): JSON-RPC
 * on stdin/stdout and nothing else there — every log line goes to stderr. A
 * `notifications/cancelled` from the host interrupts that call's in-flight upstream requests.
 */
import { Layer, Logger } from "effect"
import { McpServer } from "effect/ai"
import { LogLevelLayer, ServicesLayer } from "../services.ts"
import { protocols, registrations, serverInfo } from "./server.ts"

/** Needs `Stdio` (NodeServices / NodeStdio) and the environment's configuration. */
export const McpStdioLayer = McpServer.layerStdio({ ...serverInfo, protocols, registrations }).pipe(
  Layer.provide(LogLevelLayer),
  Layer.provide(ServicesLayer),
  // stdout belongs to the protocol: one stray log line there breaks the host's JSON-RPC parser.
  Layer.provide(Layer.succeed(Logger.LogToStderr, true))
)
