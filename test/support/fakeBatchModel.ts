/** The batches the fake upstream holds, and the shapes its batch routes share. */
import type { IncomingMessage } from "node:http"
import type { Protocol } from "./fakeAnswers.ts"
import type { LineOutcome } from "./fakeBatchLines.ts"

/** When a batch ends: after its n-th retrieve (1 = at the first), or once this many ms have passed since create. */
export type Turnaround = { readonly retrieves: number } | { readonly ms: number }

/** How the next created batch (whose lines' prompts include `match`, if set) behaves instead of the defaults. */
export interface BatchScript {
  readonly match?: string
  readonly turnaround?: Turnaround
  /**
   * The whole batch expires when it would have ended, after answering this many lines (in input
   * order); the others end expired (OpenAI status `expired`, `batch_expired` lines in the error file).
   */
  readonly expireAfter?: number
  /** OpenAI: the batch fails validation (status `failed`, this message in `errors.data`). Anthropic: create answers 400. */
  readonly failValidation?: string
}

export type BatchRoute =
  | "openai.files.create"
  | "openai.files.retrieve"
  | "openai.files.content"
  | "openai.batches.create"
  | "openai.batches.retrieve"
  | "openai.batches.cancel"
  | "openai.batches.list"
  | "anthropic.batches.create"
  | "anthropic.batches.retrieve"
  | "anthropic.batches.cancel"
  | "anthropic.batches.list"
  | "anthropic.batches.results"

export interface Reply {
  readonly status: number
  readonly body: string
  readonly contentType?: string
}

export const jsonReply = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) })

export interface RouteMatch {
  readonly route: BatchRoute
  readonly serve: () => Reply | Promise<Reply>
}

/** What a route needs to know about the request. */
export interface BatchRequest {
  readonly method: string
  readonly url: URL
  readonly headers: IncomingMessage["headers"]
  readonly raw: Buffer
}

export interface BatchLine {
  readonly customId: string
  readonly body: Record<string, unknown>
  outcome?: LineOutcome
}

export interface StoredFile {
  readonly id: string
  readonly filename: string
  readonly purpose: string
  readonly createdAt: number
  readonly content: string
}

export type BatchEnd = "completed" | "expired" | "cancelled" | "failed"

export class FakeBatch {
  retrieves = 0
  phase: "validating" | "running" | "cancelling" | "ended" = "validating"
  endedAs: BatchEnd | undefined = undefined
  /** `Date.now()` at these moments. */
  readonly createdAt = Date.now()
  cancelledAt: number | undefined = undefined
  endedAt: number | undefined = undefined
  /** OpenAI: ids of the result files, once the batch has ended with any such lines. */
  outputFileId: string | undefined = undefined
  errorFileId: string | undefined = undefined
  readonly protocol: Protocol
  readonly id: string
  readonly lines: ReadonlyArray<BatchLine>
  readonly script: BatchScript
  readonly metadata: Readonly<Record<string, string>> | null
  /** OpenAI: the batch's endpoint and input file, and why validation fails (empty when it passes). */
  readonly endpoint: string
  readonly inputFileId: string
  readonly validationErrors: ReadonlyArray<{ readonly code: string; readonly message: string; readonly line: number | null }>
  /** The result lines in the order the results are served (not the input order). */
  resultOrder: ReadonlyArray<number> = []

  constructor(fields: {
    readonly protocol: Protocol
    readonly id: string
    readonly lines: ReadonlyArray<BatchLine>
    readonly script: BatchScript
    readonly metadata?: Readonly<Record<string, string>> | null
    readonly endpoint?: string
    readonly inputFileId?: string
    readonly validationErrors?: FakeBatch["validationErrors"]
  }) {
    this.protocol = fields.protocol
    this.id = fields.id
    this.lines = fields.lines
    this.script = fields.script
    this.metadata = fields.metadata ?? null
    this.endpoint = fields.endpoint ?? "/v1/messages"
    this.inputFileId = fields.inputFileId ?? ""
    this.validationErrors = fields.validationErrors ?? []
  }

  get customIds(): ReadonlyArray<string> {
    return this.lines.map((line) => line.customId)
  }

  /** Lines answered so far (expired and cancelled ones included once the batch has ended). */
  get done(): number {
    return this.lines.filter((line) => line.outcome !== undefined).length
  }
}

/** A fixed permutation of 0…n-1 that is never the identity for n ≥ 2 (results come in no fixed order). */
export const shuffled = (n: number, seed: number): ReadonlyArray<number> => {
  const order = Array.from({ length: n }, (_, i) => i)
  let state = seed * 7919 + 17
  for (let i = n - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648
    const j = state % (i + 1)
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  return order.every((value, i) => value === i) ? order.reverse() : order
}
