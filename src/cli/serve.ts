/**
 * `llm-batch serve`: the HTTP service, as `pnpm start` runs it, with flags that override the
 * environment variables of the same name (`--port 9000` = `PORT=9000`).
 */
import { Config, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { runServer } from "../launch.ts"
import { invalidSetting } from "./errors.ts"
import { serveSettings, settingFlags, type SettingValues, settingsLayer } from "./settings.ts"

/** Loaded when `serve` runs: `ask` and `mcp` start without the HTTP server's modules. */
const AppLayer = Layer.unwrap(Effect.promise(() => import("../app.ts")).pipe(Effect.map((app) => app.AppLayer)))

/**
 * Runs a long-running server (`serve`, `mcp`) with the command line's settings until it is stopped,
 * as `pnpm start` does (src/launch.ts: the same listen error, and exit 0 on SIGTERM/SIGINT).
 */
export const launchServer = <E, R>(server: Layer.Layer<never, E, R>, settings: SettingValues) =>
  runServer(server.pipe(Layer.provide(settingsLayer(settings)))).pipe(
    Effect.catchIf((error) => error instanceof Config.ConfigError, (error) => Effect.fail(invalidSetting(error)))
  )

export const serve = Command.make(
  "serve",
  { settings: settingFlags(serveSettings) },
  ({ settings }) => launchServer(AppLayer, settings)
).pipe(
  Command.withShortDescription("Serve the HTTP API"),
  Command.withDescription(
    "Serve the HTTP API (POST /ask, GET /health, ...). Each flag overrides the environment variable " +
      "named in its description, --set NAME=VALUE any other; provider keys come only from the environment."
  ),
  Command.withExamples([
    { command: "llm-batch serve", description: "Listen on 127.0.0.1:8000 (HOST/PORT from the environment)" },
    { command: "llm-batch serve --host 0.0.0.0 --port 9000", description: "Listen on every interface, port 9000" },
    { command: "llm-batch serve --redis-url redis://127.0.0.1:6379 --llm-concurrency 16", description: "Shared cache, fewer calls in flight" },
    { command: "llm-batch serve --set MAX_BODY_BYTES=8388608 --log-level debug", description: "Any other variable; debug logs" }
  ])
)
