/**
 * MCP over stdio, for hosts that launch the server as a subprocess (`llm-batch mcp`): JSON-RPC
 * on stdin/stdout and nothing else there — every log line goes to stderr. A
 * `notifications/cancelled` from the host interrupts that call's in-flight upstream requests.
 */
import { Layer, Logger } from "effect"
import { McpServer } from "effect/ai"
import { LogLevelLayer, ServicesWithJobsIfAvailableLayer } from "../services.ts"
import { NoJobOwner } from "./jobTools.ts"
import { protocols, registrations, serverInfo } from "./server.ts"

/** Needs `Stdio` (NodeServices / NodeStdio) and the environment's configuration. */
export const McpStdioLayer = McpServer.layerStdio({
  ...serverInfo,
  protocols,
  // stdio has no caller key: every job belongs to the host that launched the server.
  registrations: registrations(NoJobOwner.layer)
}).pipe(
  Layer.provide(LogLevelLayer),
  Layer.provide(ServicesWithJobsIfAvailableLayer),
  // stdout belongs to the protocol: one stray log line there breaks the host's JSON-RPC parser.
  Layer.provide(Layer.succeed(Logger.LogToStderr, true))
)
