/**
 * OpenAI's Batch API through the `openai` SDK: the lines uploaded as one JSONL file
 * (`files.create`, purpose `batch`), a batch over it (`batches.create`, 24 h window, tagged in
 * `metadata` so a batch whose id was never stored can be found again), its output and error
 * files read back with `files.content`.
 */
import { Effect, Option, Schema } from "effect"
import OpenAI, { toFile } from "openai"
import type { Batch } from "openai/resources/batches"
import type { ProviderBatchStatus } from "../../domain/Lane.ts"
import type { BatchApi, BatchStatus, BatchTag, LineResult } from "../batchApi.ts"
import { jsonlLines, resultLines } from "../batchLines.ts"
import { toUpstreamError } from "../failures.ts"
import type { SdkFetchOptions } from "../fetch.ts"
import type { Target } from "../types.ts"
import { classify } from "./classify.ts"
import { encodeChatRequest } from "./encode.ts"
import { makeOpenAiClients } from "./transport.ts"

const endpoint = "/v1/chat/completions"

const states: Readonly<Record<Batch["status"], ProviderBatchStatus>> = {
  validating: "validating",
  in_progress: "in_progress",
  finalizing: "finalizing",
  completed: "ended",
  failed: "failed",
  expired: "expired",
  cancelling: "cancelling",
  cancelled: "cancelled"
}

const statusOf = (batch: Batch): BatchStatus => ({
  id: batch.id,
  state: states[batch.status],
  succeeded: batch.request_counts?.completed ?? 0,
  failed: batch.request_counts?.failed ?? 0,
  error: validationErrors(batch)
})

const validationErrors = (batch: Batch): string | undefined => {
  const errors = batch.errors?.data ?? []
  if (errors.length === 0) return undefined
  return errors.map((error) => `${typeof error.line === "number" ? `line ${error.line}: ` : ""}${error.message ?? error.code}`)
    .join("; ")
}

/** How far back a batch whose id was never stored is looked for: it was submitted moments before a crash. */
const searchedBatches = 200

const tagged = (batch: Batch, tag: BatchTag) =>
  batch.metadata?.["llm_batch_job"] === tag.job && batch.metadata?.["llm_batch_seq"] === String(tag.seq)

const OptionalText = Schema.optionalKey(Schema.NullOr(Schema.String))

/** Lines of the output and error files: `response` with its status and body, or an `error` for lines that never ran. */
const OutputLine = Schema.Struct({
  custom_id: Schema.String,
  response: Schema.NullOr(Schema.Struct({ status_code: Schema.Number, body: Schema.Unknown })),
  error: Schema.optionalKey(Schema.NullOr(Schema.Struct({ code: OptionalText, message: OptionalText })))
})

const toLineResult = (line: typeof OutputLine.Type): LineResult => {
  const { custom_id: customId, error, response } = line
  if (response !== null) {
    return response.status_code >= 200 && response.status_code < 300
      ? { _tag: "Answered", customId, body: response.body }
      : { _tag: "Failed", customId, status: response.status_code, body: response.body }
  }
  if (error?.code === "batch_expired") return { _tag: "NotRun", customId, why: "expired" }
  if (error?.code === "batch_cancelled") return { _tag: "NotRun", customId, why: "cancelled" }
  const message = error?.message ?? "the line has neither a response nor an error"
  return { _tag: "Failed", customId, status: 500, body: { error: { message, code: error?.code ?? null } } }
}

const encodeLine: BatchApi["encodeLine"] = ({ customId, request }) =>
  JSON.stringify({ custom_id: customId, method: "POST", url: endpoint, body: encodeChatRequest(request) })

const OutputJsonl = Schema.fromJsonString(OutputLine)

const readLines = (text: string) => resultLines(jsonlLines(text), OutputJsonl, toLineResult)

export const makeOpenAiBatchApi = (fetchOptions: SdkFetchOptions): BatchApi => {
  const pool = makeOpenAiClients(fetchOptions)
  const call = <A>(target: Target, run: (client: OpenAI, signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({
      try: (signal) => run(pool.get("openai-batch", target), signal),
      catch: toUpstreamError("openai", OpenAI, classify, target)
    })
  const fileText = (target: Target, id: string | null | undefined) =>
    id === null || id === undefined
      ? Effect.succeed("")
      : call(target, (client, signal) => client.files.content(id, { signal }).then((response) => response.text()))

  return {
    limits: { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 },
    encodeLine,
    submit: (target, lines, tag) =>
      call(target, async (client, signal) => {
        const jsonl = Buffer.from(lines.map((line) => line.encoded).join("\n"), "utf8")
        const file = await client.files.create(
          { file: await toFile(jsonl, `llm-batch-${tag.job}-${tag.seq}.jsonl`), purpose: "batch" },
          { signal }
        )
        return client.batches.create({
          input_file_id: file.id,
          endpoint,
          completion_window: "24h",
          metadata: { llm_batch_job: tag.job, llm_batch_seq: String(tag.seq) }
        }, { signal })
      }).pipe(Effect.map(statusOf)),
    status: (target, id) => call(target, (client, signal) => client.batches.retrieve(id, { signal })).pipe(Effect.map(statusOf)),
    results: (target, id) =>
      Effect.gen(function*() {
        const batch = yield* call(target, (client, signal) => client.batches.retrieve(id, { signal }))
        const output = yield* fileText(target, batch.output_file_id)
        const errors = yield* fileText(target, batch.error_file_id)
        return [...readLines(output), ...readLines(errors)]
      }),
    cancel: (target, id) => Effect.asVoid(call(target, (client, signal) => client.batches.cancel(id, { signal }))),
    find: (target, tag) =>
      call(target, async (client, signal) => {
        // The newest batches first: one submitted moments before a crash is among them.
        let seen = 0
        for await (const batch of client.batches.list({ limit: 100 }, { signal })) {
          if (tagged(batch, tag)) return Option.some(statusOf(batch))
          if (++seen >= searchedBatches) break
        }
        return Option.none()
      })
  }
}
