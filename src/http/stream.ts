/**
 * Newline-delimited JSON answers, one `ResultItem` per line as it comes: POST /ask/stream (the
 * batch runs in the response body's stream, so a client that disconnects interrupts it) and a
 * job's results (read from storage as they are sent); a job's questions the same way.
 */
import { Cause, type Context, Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { PlannedItem } from "../batch/plan.ts"
import { type BatchServices, streamPlan } from "../batch/stream.ts"
import type { QuestionItem, ResultItem } from "../domain/Batch.ts"
import { serviceFaultIn } from "../domain/Errors.ts"

const line = (value: unknown) => `${JSON.stringify(value)}\n`

/** The last line of a body whose stream failed; the cause goes to the service log, not to the reader (unless it is a `ServiceFault`). */
const failedLine = (cause: Cause.Cause<unknown>) =>
  line({ error: serviceFaultIn(cause)?.message ?? "reading from the service failed mid-stream (see its log); read it again" })

/**
 * The status line and headers go at once (an empty first chunk flushes them), not with the first
 * item, which a followed job may not have for minutes. A failure mid-stream ends the body with an
 * `{"error": …}` line, then aborts the connection: the reader sees a cut body, never a clean end.
 */
export const ndjsonResponse = <E>(
  items: Stream.Stream<ResultItem | QuestionItem, E>
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.stream(
    Stream.concat(Stream.succeed(""), Stream.map(items, line)).pipe(
      Stream.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause) ? Stream.failCause(cause) : Stream.concat(
          Stream.succeed(failedLine(cause)),
          // The abort must not overtake the line in the socket's buffer.
          Stream.fromEffect(Effect.andThen(Effect.logError("a streamed response failed", cause), Effect.sleep("100 millis")))
            .pipe(Stream.flatMap(() => Stream.failCause(cause)))
        )
      ),
      Stream.encodeText
    ),
    {
      contentType: "application/x-ndjson",
      // Proxies (nginx) must pass each line on as it comes instead of buffering the body.
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
    }
  )

/** `services`: the engine's, which the body's stream needs after the handler has returned. */
export const ndjsonResults = (
  plan: ReadonlyArray<PlannedItem>,
  caller: string,
  services: Context.Context<BatchServices>,
  maxCostUsd?: number
): HttpServerResponse.HttpServerResponse =>
  ndjsonResponse(streamPlan(plan, caller, maxCostUsd).pipe(Stream.provideContext(services)))
