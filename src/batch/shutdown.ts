/**
 * The end of a shutdown's grace period (SHUTDOWN_GRACE_MS): when it fires, `runBatch` ends the
 * questions still running as item errors and returns the whole answer. Unset — the CLI, MCP over
 * stdio, tests — it never fires.
 */
import { Context, type Deferred } from "effect"

export const ShutdownSignal = Context.Reference<Deferred.Deferred<void> | undefined>("llm-batch/ShutdownSignal", {
  defaultValue: () => undefined
})
