/**
 * Newline-delimited JSON answers, one `ResultItem` per line as it comes: POST /ask/stream (the
 * batch runs in the response body's stream, so a client that disconnects interrupts it) and a
 * job's results (read from storage as they are sent); a job's questions the same way.
 */
import { type Context, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { PlannedItem } from "../batch/plan.ts"
import { type BatchServices, streamPlan } from "../batch/stream.ts"
import type { QuestionItem, ResultItem } from "../domain/Batch.ts"

const line = (value: unknown) => `${JSON.stringify(value)}\n`

/** A failure mid-stream aborts the connection: the reader sees a cut body, never a clean end. */
export const ndjsonResponse = <E>(
  items: Stream.Stream<ResultItem | QuestionItem, E>
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.stream(items.pipe(Stream.map(line), Stream.encodeText), {
    contentType: "application/x-ndjson",
    // Proxies (nginx) must pass each line on as it comes instead of buffering the body.
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
  })

/** `services`: the engine's, which the body's stream needs after the handler has returned. */
export const ndjsonResults = (
  plan: ReadonlyArray<PlannedItem>,
  caller: string,
  services: Context.Context<BatchServices>,
  maxCostUsd?: number
): HttpServerResponse.HttpServerResponse =>
  ndjsonResponse(streamPlan(plan, caller, maxCostUsd).pipe(Stream.provideContext(services)))
