/**
 * POST /ask/stream's answer: newline-delimited JSON, one `ResultItem` per line as each question
 * finishes. The batch runs in the response body's stream, so a client that disconnects interrupts it.
 */
import { type Context, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import type { PlannedItem } from "../batch/plan.ts"
import { type BatchServices, streamPlan } from "../batch/stream.ts"

const line = (value: unknown) => `${JSON.stringify(value)}\n`

/** `services`: the engine's, which the body's stream needs after the handler has returned. */
export const ndjsonResults = (
  plan: ReadonlyArray<PlannedItem>,
  caller: string,
  services: Context.Context<BatchServices>
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.stream(
    streamPlan(plan, caller).pipe(Stream.map(line), Stream.encodeText, Stream.provideContext(services)),
    {
      contentType: "application/x-ndjson",
      // Proxies (nginx) must pass each line on as it comes instead of buffering the body.
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
    }
  )
