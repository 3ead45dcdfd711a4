/**
 * `llm-batch mcp`: the MCP server over stdio, for hosts that launch it (Claude Desktop, Claude
 * Code, Roo Code, Cursor). Flags override the environment variables of the same name.
 */
import { Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { launchServer } from "./serve.ts"
import { askSettings, settingFlags } from "./settings.ts"

/** Loaded when `mcp` runs: the other commands start without the MCP server, engine and SDK modules. */
const McpStdioLayer = Layer.unwrap(Effect.promise(() => import("../mcp/stdio.ts")).pipe(Effect.map((stdio) => stdio.McpStdioLayer)))

export const mcp = Command.make(
  "mcp",
  { settings: settingFlags(askSettings) },
  // Like `serve`, a long-running server: the host closing stdin or sending SIGTERM is a clean exit (0).
  ({ settings }) => launchServer(McpStdioLayer, settings)
).pipe(
  Command.withShortDescription("Serve MCP over stdio for agent hosts"),
  Command.withDescription(
    "Serve MCP (tools batch_ask and ask) over stdin/stdout until stdin closes. Only protocol messages " +
      "are written to stdout; logs go to stderr. Provider keys come from the environment."
  ),
  Command.withExamples([
    { command: "llm-batch mcp", description: "Run as an MCP server for a host that launches it" },
    { command: "llm-batch mcp --default-model anthropic/claude-haiku-4-5", description: "Change the default model" }
  ])
)
