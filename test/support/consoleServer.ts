/**
 * The real server (and its fake upstream) serving the console built from web/ for this test file
 * (test/support/console.ts builds it once per file and removes it after), with `env` on top.
 */
import { Effect, Layer } from "effect"
import { builtConsole } from "./console.ts"
import { TestServer } from "./TestServer.ts"

export const consoleServer = (env: Record<string, string> = {}) =>
  Layer.unwrap(Effect.map(builtConsole, (directory) => TestServer.layer({ CONSOLE_DIR: directory, ...env })))
