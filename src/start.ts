/** Starts the HTTP service on its configured (or embedded default) services; `src/main.ts` loads it. */
// Modules by path: the package index loads every Node module of the platform (Redis client included).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Exit, Layer, Runtime } from "effect"
import { AppLayer } from "./app.ts"

/** SIGTERM/SIGINT interrupt the server after in-flight requests finish: that is a clean exit. */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

Layer.launch(AppLayer).pipe(NodeRuntime.runMain({ teardown }))
