/**
 * Anthropic's Message Batches through `@anthropic-ai/sdk`: the requests sent inline
 * (`messages.batches.create`), the batch read with `retrieve`, its results JSONL read with
 * `results`. Anthropic keeps no metadata on a batch, so one whose id was never stored cannot be
 * found again (`find` says none; docs/jobs.md, *Batch lane*).
 */
import type Anthropic from "@anthropic-ai/sdk"
import type { MessageBatch } from "@anthropic-ai/sdk/resources/messages/batches"
import { Effect, Option, Schema } from "effect"
import type { BatchApi, BatchLine, BatchStatus, LineResult } from "../batchApi.ts"
import { jsonlLines, resultLines } from "../batchLines.ts"
import { toUpstreamError } from "../failures.ts"
import type { SdkFetchOptions } from "../fetch.ts"
import type { Target } from "../types.ts"
import { classify } from "./classify.ts"
import { encodeMessageRequest } from "./encode.ts"
import { loadAnthropicSdk, makeAnthropicClients } from "./transport.ts"

const statusOf = (batch: MessageBatch): BatchStatus => {
  const counts = batch.request_counts
  return {
    id: batch.id,
    state: batch.processing_status === "in_progress"
      ? "in_progress"
      : batch.processing_status === "canceling"
      ? "cancelling"
      : batch.cancel_initiated_at === null
      ? "ended"
      : "cancelled",
    succeeded: counts.succeeded,
    failed: counts.errored + counts.expired + counts.canceled
  }
}

/** The status each error type comes with on the sync API, so one `classify` reads both lanes. */
const statusOfType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529
}

const ResultLine = Schema.Struct({
  custom_id: Schema.String,
  result: Schema.Struct({
    type: Schema.String,
    message: Schema.optionalKey(Schema.Unknown),
    error: Schema.optionalKey(Schema.Unknown)
  })
})

const ResultJsonl = Schema.fromJsonString(ResultLine)

const ErrorType = Schema.Struct({ error: Schema.Struct({ type: Schema.String }) })
const isErrorType = Schema.is(ErrorType)

const toLineResult = ({ custom_id: customId, result }: typeof ResultLine.Type): LineResult => {
  switch (result.type) {
    case "succeeded":
      return { _tag: "Answered", customId, body: result.message }
    case "expired":
      return { _tag: "NotRun", customId, why: "expired" }
    case "canceled":
      return { _tag: "NotRun", customId, why: "cancelled" }
    default: {
      const type = isErrorType(result.error) ? result.error.error.type : ""
      return { _tag: "Failed", customId, status: statusOfType[type] ?? 500, body: result.error }
    }
  }
}

const requestOf = ({ customId, request }: BatchLine) => {
  const { stream: _stream, ...params } = encodeMessageRequest(request)
  return { custom_id: customId, params }
}

export const makeAnthropicBatchApi = (fetchOptions: SdkFetchOptions): BatchApi => {
  const clients = makeAnthropicClients(fetchOptions)
  const call = <A>(target: Target, run: (client: Anthropic, signal: AbortSignal) => Promise<A>) =>
    Effect.flatMap(Effect.promise(loadAnthropicSdk), (Sdk) =>
      Effect.tryPromise({
        try: (signal) => run(clients(Sdk).get("anthropic-batch", target), signal),
        catch: toUpstreamError("anthropic", Sdk, classify, target)
      }))

  return {
    limits: { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 },
    encodeLine: (line) => JSON.stringify(requestOf(line)),
    submit: (target, lines) =>
      call(target, (client, signal) => client.messages.batches.create({ requests: lines.map(requestOf) }, { signal }))
        .pipe(Effect.map(statusOf)),
    status: (target, id) => call(target, (client, signal) => client.messages.batches.retrieve(id, {}, { signal })).pipe(Effect.map(statusOf)),
    results: (target, id) =>
      // Read whole, as the SDK's `results` would stream it (our fetch hands back read bodies, not streams).
      call(target, async (client, signal) => {
        const batch = await client.messages.batches.retrieve(id, {}, { signal })
        if (batch.results_url === null) return ""
        const response = await client.get<Response>(batch.results_url, {
          headers: { Accept: "application/binary" },
          __binaryResponse: true,
          signal
        })
        return response.text()
      }).pipe(Effect.map((text) => resultLines(jsonlLines(text), ResultJsonl, toLineResult))),
    cancel: (target, id) => Effect.asVoid(call(target, (client, signal) => client.messages.batches.cancel(id, {}, { signal }))),
    find: () => Effect.succeed(Option.none())
  }
}
