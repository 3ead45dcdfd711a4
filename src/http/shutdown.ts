/**
 * Graceful shutdown. On SIGTERM/SIGINT the server layer closes: Node stops accepting connections
 * at once, requests in flight get SHUTDOWN_GRACE_MS, and then the engine ends the questions still
 * running as item errors (ShutdownSignal), so every request still gets its whole answer — the
 * questions that finished in time included — before the process exits.
 */
import { Deferred, Duration, Effect, Layer, Schedule } from "effect"
import { ShutdownSignal } from "../batch/shutdown.ts"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"

/**
 * How long the platform's server close waits for open requests before cutting them (an empty
 * 503): past the grace period, with room to send the answers it produced.
 */
export const serverCloseTimeout = (config: AppConfigShape): Duration.Duration =>
  Duration.millis(config.shutdownGraceMs + 10_000)

/** The part of Node's `http.Server` the shutdown uses. */
export interface Connections {
  readonly closeIdleConnections: () => void
}

/**
 * Wraps the HTTP server layer: provides the signal to it and, once it begins to close, starts
 * the grace period and keeps closing connections that wait for another request.
 */
export const withGracefulShutdown = <A, E, R>(server: Layer.Layer<A, E, R>, connections: Connections) =>
  Layer.unwrap(Effect.gen(function*() {
    const config = yield* AppConfig
    const signal = Deferred.makeUnsafe<void>()
    // This scope outlives the server's: closing it (once the server is closed) stops both fibers.
    const scope = yield* Effect.scope
    const graceTimer = Effect.sleep(Duration.millis(config.shutdownGraceMs)).pipe(
      Effect.andThen(Deferred.succeed(signal, undefined))
    )
    // Node closes idle keep-alive connections only as the close begins: one whose answer is sent
    // later would hold the close, and the exit, until the client or keepAliveTimeout drops it.
    const closeIdle = Effect.sync(() => connections.closeIdleConnections()).pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(100)))
    )
    const onClose = Effect.all([Effect.forkIn(graceTimer, scope), Effect.forkIn(closeIdle, scope)], { discard: true })
    // Built after the server, so its finalizer runs first: the grace period starts as the server
    // begins to close, not once it is closed.
    const startGraceOnClose = Layer.effectDiscard(Effect.addFinalizer(() => onClose))
    return startGraceOnClose.pipe(
      Layer.provideMerge(server),
      Layer.provide(Layer.succeed(ShutdownSignal, signal))
    )
  }))
