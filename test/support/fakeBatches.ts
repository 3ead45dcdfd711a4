/**
 * The providers' batch APIs for the fake upstream: OpenAI files + batches and Anthropic message
 * batches, on the same base URL. Each line of a batch is answered through the same per-prompt
 * scripts (`Step`s) as the synchronous endpoints, when the line gets done; a batch moves on as it
 * is retrieved (or as time passes), and its results come back in no fixed order.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { type Protocol, providerError } from "./fakeAnswers.ts"
import { anthropicBatchRoute } from "./fakeBatchAnthropic.ts"
import { answerLine, type LineOutcome, openAiResultFiles } from "./fakeBatchLines.ts"
import {
  type BatchEnd,
  type BatchRequest,
  type BatchRoute,
  type BatchScript,
  type FakeBatch,
  jsonReply,
  shuffled,
  type StoredFile,
  type Turnaround
} from "./fakeBatchModel.ts"
import { openAiBatchRoute } from "./fakeBatchOpenAi.ts"
import type { FakeUpstreamState } from "./FakeUpstream.ts"

export type { BatchRoute, BatchScript, FakeBatch, Turnaround } from "./fakeBatchModel.ts"

/** Each provider's own limits on one batch. */
const providerLimits = {
  openai: { requests: 50_000, bytes: 200 * 1024 * 1024 },
  anthropic: { requests: 100_000, bytes: 256 * 1024 * 1024 }
} as const

export class FakeBatches {
  /** When batches end unless their script says otherwise (default: at the first retrieve). */
  turnaround: Turnaround = { retrieves: 1 }
  /** Most requests in one batch / bytes in one upload (OpenAI file) or create body (Anthropic); default: the provider's. */
  maxRequests: number | undefined = undefined
  maxBytes: number | undefined = undefined
  /** OpenAI: put lines answered with a non-2xx status in the output file rather than the error file. */
  httpErrorsInOutputFile = false
  readonly batchesCreated = { openai: 0, anthropic: 0 }
  /** Bytes received: OpenAI uploaded files, Anthropic create bodies. */
  readonly uploadedBytes = { openai: 0, anthropic: 0 }
  /** Every batch created, oldest first. */
  readonly created: Array<FakeBatch> = []
  readonly cancels: Array<{ readonly protocol: Protocol; readonly id: string }> = []
  /**
   * Replies to these routes are served (the provider acts: a create creates) but not sent until
   * `release` resolves: a service killed meanwhile never hears the answer.
   */
  held: { readonly routes: ReadonlyArray<BatchRoute>; readonly release: Promise<void> } | undefined = undefined
  /** Every batch-API request, in order (faulted ones included). */
  readonly calls: Array<{ readonly route: BatchRoute; readonly method: string; readonly path: string }> = []
  readonly files = new Map<string, StoredFile>()
  private readonly scripts: Array<BatchScript> = []
  private readonly faults = new Map<BatchRoute, Array<number>>()
  private counter = 0
  private readonly upstream: FakeUpstreamState

  constructor(upstream: FakeUpstreamState) {
    this.upstream = upstream
  }

  /** The next created batches (those matching each script's `match`) behave as these scripts say, in order. */
  script(...scripts: ReadonlyArray<BatchScript>): void {
    this.scripts.push(...scripts)
  }

  /** The next requests to `route` are answered with these HTTP statuses and a provider error body, one each. */
  failNext(route: BatchRoute, ...statuses: ReadonlyArray<number>): void {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...statuses])
  }

  byId(id: string): FakeBatch | undefined {
    return this.created.find((batch) => batch.id === id)
  }

  limits(protocol: Protocol): { readonly requests: number; readonly bytes: number } {
    return {
      requests: this.maxRequests ?? providerLimits[protocol].requests,
      bytes: this.maxBytes ?? providerLimits[protocol].bytes
    }
  }

  nextId(prefix: string): string {
    this.counter += 1
    return `${prefix}${String(this.counter).padStart(6, "0")}`
  }

  /** Takes the first pending script matching these lines' prompts. */
  takeScript(bodies: ReadonlyArray<Record<string, unknown>>): BatchScript {
    const prompts = bodies.map((body) => JSON.stringify(body))
    const index = this.scripts.findIndex((s) => s.match === undefined || prompts.some((p) => p.includes(s.match!)))
    return index === -1 ? {} : this.scripts.splice(index, 1)[0]!
  }

  add(batch: FakeBatch): FakeBatch {
    this.created.push(batch)
    this.batchesCreated[batch.protocol] += 1
    return batch
  }

  /** Moves a batch on to where its turnaround says it is now; a retrieve counts towards it. */
  advance(batch: FakeBatch, retrieved: boolean): void {
    if (batch.phase === "ended") return
    if (retrieved) batch.retrieves += 1
    if (batch.phase === "validating") {
      if (batch.validationErrors.length > 0) return this.end(batch, "failed")
      batch.phase = "running"
    }
    if (batch.phase === "cancelling") {
      if (retrieved) this.end(batch, "cancelled")
      return
    }
    const total = batch.lines.length
    const turnaround = batch.script.turnaround ?? this.turnaround
    let progress: number
    let ended: boolean
    if ("ms" in turnaround) {
      progress = turnaround.ms <= 0 ? 1 : Math.min(1, (Date.now() - batch.createdAt) / turnaround.ms)
      ended = progress >= 1
    } else {
      // All lines are done one retrieve before the end (OpenAI shows `finalizing` then).
      const n = Math.max(1, turnaround.retrieves)
      progress = n === 1 ? 1 : Math.min(1, batch.retrieves / (n - 1))
      ended = batch.retrieves >= n
    }
    const target = Math.min(Math.floor(total * progress), batch.script.expireAfter ?? total)
    this.answerUpTo(batch, target)
    if (ended) this.end(batch, batch.script.expireAfter === undefined ? "completed" : "expired")
  }

  cancel(batch: FakeBatch): void {
    this.cancels.push({ protocol: batch.protocol, id: batch.id })
    this.advance(batch, false)
    if (batch.phase !== "running") return
    batch.phase = "cancelling"
    batch.cancelledAt = Date.now()
  }

  private answerUpTo(batch: FakeBatch, count: number): void {
    for (const line of batch.lines.slice(0, count)) {
      if (line.outcome !== undefined) continue
      const path = batch.protocol === "openai" ? batch.endpoint : "/v1/messages"
      const { step, prompt } = this.upstream.takeStep(batch.protocol, path, {}, line.body, batch.id)
      line.outcome = answerLine(batch.protocol, step, line.body, prompt)
    }
  }

  private end(batch: FakeBatch, how: BatchEnd): void {
    if (how === "completed") this.answerUpTo(batch, batch.lines.length)
    const unrun: LineOutcome = { kind: how === "cancelled" ? "cancelled" : "expired" }
    if (how !== "failed") for (const line of batch.lines) line.outcome ??= unrun
    batch.phase = "ended"
    batch.endedAs = how
    batch.endedAt = Date.now()
    batch.resultOrder = shuffled(batch.lines.length, this.created.indexOf(batch) + 1)
    if (batch.protocol !== "openai" || how === "failed") return
    const { output, errors } = openAiResultFiles(batch, this.httpErrorsInOutputFile)
    const jsonl = (lines: ReadonlyArray<string>) => lines.map((line) => `${line}\n`).join("")
    if (output.length > 0) batch.outputFileId = this.storeFile(`${batch.id}_output.jsonl`, "batch_output", jsonl(output)).id
    if (errors.length > 0) batch.errorFileId = this.storeFile(`${batch.id}_error.jsonl`, "batch_output", jsonl(errors)).id
  }

  storeFile(filename: string, purpose: string, content: string): StoredFile {
    const file = { id: this.nextId("file-"), filename, purpose, createdAt: Date.now(), content }
    this.files.set(file.id, file)
    return file
  }

  /** Serves a batch-API request; false when the path is not one (the synchronous endpoints take it). */
  async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<boolean> {
    const request: BatchRequest = {
      method: req.method ?? "GET",
      url: new URL(req.url ?? "/", this.upstream.url || "http://127.0.0.1"),
      headers: req.headers,
      raw
    }
    const match = anthropicBatchRoute(this, request) ?? openAiBatchRoute(this, request)
    if (match === undefined) return false
    this.calls.push({ route: match.route, method: request.method, path: request.url.pathname })
    const fault = this.faults.get(match.route)?.shift()
    const reply = fault === undefined
      ? await match.serve()
      : jsonReply(fault, providerError(match.route.startsWith("anthropic") ? "anthropic" : "openai", fault, `fake error ${fault}`))
    if (this.held?.routes.includes(match.route)) await this.held.release
    res.writeHead(reply.status, { "content-type": reply.contentType ?? "application/json" }).end(reply.body)
    return true
  }
}
