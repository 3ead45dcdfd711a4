/**
 * A protocol's provider batch API (OpenAI's Batch API, Anthropic's Message Batches), as the batch
 * lane (src/jobs/lane/) uses it: lines encoded from the same `CompletionRequest`s as the sync
 * lane, a batch submitted, its state read, its results read back raw (each line's body decoded and
 * classified by the protocol's own decode and classify) and a batch cancelled.
 */
import type { Effect, Option } from "effect"
import type { UpstreamError } from "../domain/Errors.ts"
import type { ProviderBatchStatus } from "../domain/Lane.ts"
import type { CompletionRequest, Target } from "./types.ts"

export interface BatchStatus {
  readonly id: string
  /** Both providers' states mapped onto ours. */
  readonly state: ProviderBatchStatus
  readonly succeeded: number
  readonly failed: number
  /** Why the provider refused the whole batch (validation), when it says. */
  readonly error?: string | undefined
}

/** One line of a batch's results, raw: the lane decodes and classifies it. */
export type LineResult =
  | { readonly _tag: "Answered"; readonly customId: string; readonly body: unknown }
  | { readonly _tag: "Failed"; readonly customId: string; readonly status: number; readonly body: unknown }
  /** Never ran: the batch expired or was cancelled first. */
  | { readonly _tag: "NotRun"; readonly customId: string; readonly why: "expired" | "cancelled" }

export interface BatchLine {
  readonly customId: string
  readonly request: CompletionRequest
}

/** A line with its `encodeLine` text, encoded once: counted against the byte limit, then sent. */
export interface EncodedLine extends BatchLine {
  readonly encoded: string
}

/** What the lane stores with a batch so it can be found again if the process dies while submitting. */
export interface BatchTag {
  readonly job: string
  readonly seq: number
}

export interface BatchApi {
  /** Most requests and bytes one provider batch may hold. */
  readonly limits: { readonly maxRequests: number; readonly maxBytes: number }
  /** The line as it is sent: its length counts against `limits.maxBytes`. */
  readonly encodeLine: (line: BatchLine) => string
  readonly submit: (
    target: Target,
    lines: ReadonlyArray<EncodedLine>,
    tag: BatchTag
  ) => Effect.Effect<BatchStatus, UpstreamError>
  readonly status: (target: Target, id: string) => Effect.Effect<BatchStatus, UpstreamError>
  /** The results of an ended batch, in no particular order. */
  readonly results: (target: Target, id: string) => Effect.Effect<ReadonlyArray<LineResult>, UpstreamError>
  readonly cancel: (target: Target, id: string) => Effect.Effect<void, UpstreamError>
  /** A batch submitted with `tag` whose id was never stored, where the provider can say (OpenAI's metadata). */
  readonly find: (target: Target, tag: BatchTag) => Effect.Effect<Option.Option<BatchStatus>, UpstreamError>
}
