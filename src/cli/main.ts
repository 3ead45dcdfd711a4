#!/usr/bin/env node
/**
 * The `llm-batch` command line: `serve`, `ask`, and one line per further subcommand. Usage errors
 * exit 2 like bad input; help for a bad invocation goes to stderr so stdout carries only results.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Console, Effect, Logger, Runtime } from "effect"
import { CliOutput, Command } from "effect/cli"
import packageJson from "../../package.json" with { type: "json" }
import { loadDotEnv } from "../config/dotenv.ts"
import { runMain } from "../launch.ts"
import { ask } from "./ask.ts"
import { UsageError } from "./errors.ts"
import { cancel, estimate, jobs, results, status, submit } from "./jobs.ts"
import { mcp } from "./mcp.ts"
import { run } from "./run.ts"
import { serve } from "./serve.ts"

const subcommands = [serve, ask, mcp, estimate, submit, status, results, cancel, jobs, run] as const

const root = Command.make("llm-batch").pipe(
  Command.withDescription(
    "Run batches of LLM questions: as an HTTP service, one batch from a file, or durable jobs in a running service."
  ),
  Command.withSubcommands(subcommands),
  Command.withExamples([
    { command: "llm-batch serve --port 8000", description: "Start the HTTP service" },
    { command: "llm-batch ask questions.json > results.json", description: "Run one batch from a file" },
    { command: "llm-batch ask --help", description: "Input formats, output and exit codes of ask" },
    { command: "llm-batch mcp", description: "Serve MCP over stdio for an agent host (Claude, Roo Code, Cursor)" },
    { command: "llm-batch submit questions.jsonl --wait", description: "Run a big batch as a durable job in the service" }
  ])
)

const stderrForInvalidInvocations = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Effect.gen(function*() {
        const formatter = yield* CliOutput.Formatter
        yield* Console.error(formatter.formatHelpDoc(event.helpDoc))
        yield* Console.error(formatter.formatErrors(event.errors))
      })
      : CliOutput.defaultPresenter.present(event)
})

/**
 * stdout is flushed before the process exits, so results piped to a slow reader are never cut off.
 * The exit code is the Exit's own: a server stopped by a signal has completed (0), an `ask`
 * interrupted by one is 130 (src/launch.ts).
 */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Runtime.defaultTeardown(exit, (code) => {
    process.stdout.write("", () => onExit(code))
  })

// Before any setting is read: `serve`, `ask` and `mcp` all see the working directory's `.env`.
loadDotEnv()

root.pipe(
  Command.run({ version: packageJson.version }),
  Effect.catchTag("ShowHelp", (help) => help.errors.length > 0 ? Effect.fail(new UsageError()) : Effect.void),
  // Logs never go to stdout: it carries results (ask) or protocol messages (mcp).
  Effect.provideService(Logger.LogToStderr, true),
  Effect.provide([NodeServices.layer, stderrForInvalidInvocations]),
  runMain({ teardown })
)
