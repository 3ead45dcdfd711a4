/**
 * How the process runs a program and ends, the same on every start path (`pnpm start`,
 * `node src/main.ts`, `llm-batch serve|mcp|ask`). A signal is handled by the program it concerns:
 * a server stops gracefully and completes normally (exit 0: a supervisor such as systemd counts 130
 * as a failure), while `ask` is interrupted (130, as a shell expects of Ctrl-C). An address a
 * server cannot listen on is one line saying what to do.
 */
import { Cause, Effect, Layer, Runtime, Schema } from "effect"
// The module, not the `effect/http` index: `llm-batch mcp` and `ask` start without the HTTP modules.
import { ServeError } from "effect/http/HttpServerError"

/**
 * Runs the process's main effect; the exit code is the Exit's (`Runtime.defaultTeardown` unless
 * `teardown` says otherwise). Unlike `NodeRuntime.runMain` it installs no signal handler, which
 * would interrupt every program alike and so turn a server's clean stop into 130.
 */
export const runMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  fiber.addObserver((exit) => teardown(exit, (code) => process.exit(code)))
})

/**
 * The first SIGINT or SIGTERM from now on. Once one came, its listeners stay for the rest of the
 * process, so a second signal is ignored as `NodeRuntime.runMain` ignores it: a graceful shutdown
 * must not be cut short because the signal came twice (a package manager such as pnpm passes
 * Ctrl-C on to the process that already got it). Interrupted, it removes them.
 */
const nextSignal = Effect.callback<void>((resume) => {
  const onSignal = () => resume(Effect.void)
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  return Effect.sync(() => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  })
})

/** `effect`, interrupted by SIGINT/SIGTERM: for commands that are not servers. */
export const interruptOnSignal = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.raceFirst(Effect.andThen(nextSignal, Effect.interrupt), effect)

/** The server could not start (the port is taken, say): exit 1 with the reason, not a stack trace. */
export class StartError extends Schema.TaggedError<StartError>()("StartError", {
  message: Schema.String
}) {
  override readonly [Runtime.errorExitCode] = 1
  // `runServer` has logged it as one line; the runtime must not log it again with its stack.
  override readonly [Runtime.errorReported] = false
}

/** Why listening failed, and what to change. */
const cannotListen = (error: ServeError): StartError =>
  new StartError({
    message: `cannot listen: ${error.cause instanceof Error ? error.cause.message : String(error.cause)}; ` +
      "choose another port: PORT, or --port for llm-batch serve (0 picks a free one)"
  })

/**
 * Runs `server` until SIGINT/SIGTERM, then closes it (its finalizers run the graceful shutdown)
 * and completes: a stop on a signal is the normal end of a server.
 */
export const runServer = <E, R>(server: Layer.Layer<never, E, R>): Effect.Effect<void, E | StartError, R> =>
  // The signal first: its listener is in place before the server starts to build.
  Effect.raceFirst(nextSignal, Layer.launch(server)).pipe(
    Effect.asVoid,
    // The stdio MCP server ends itself once stdin closes, by interrupting the fiber that built it
    // (the race's, not this one): that is a normal end too.
    Effect.catchCauseIf(Cause.hasInterruptsOnly, () => Effect.void),
    Effect.catch((error): Effect.Effect<never, E | StartError> => {
      if (!(error instanceof ServeError)) return Effect.fail(error)
      const failure = cannotListen(error)
      return Effect.andThen(Effect.logError(failure.message), Effect.fail(failure))
    })
  )
