/**
 * A fake LLM provider on loopback that speaks the OpenAI chat-completions and Anthropic messages
 * wire formats, and both providers' batch APIs (`state.batches`, fakeBatches.ts). Tests script its
 * answers and faults per prompt, for both lanes at once, and read back what it received.
 */
import { Context, Effect, Layer } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import {
  anthropicAnswer,
  errorBody,
  logprobsRefusal,
  openAiAnswer,
  promptOf,
  type Protocol
} from "./fakeAnswers.ts"
import { FakeBatches } from "./fakeBatches.ts"

export interface Step {
  /** HTTP status to answer with (default 200). Non-2xx answers carry an error body. */
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
  /** The assistant text for a 200 (default: `answer to: <last user message>`). */
  readonly text?: string
  /** Per-token log-probabilities to return (OpenAI format). */
  readonly logprobs?: ReadonlyArray<number>
  /** `finish_reason` (OpenAI) or `stop_reason` (Anthropic) of a 200 (default `stop` / `end_turn`). */
  readonly finishReason?: string
  /**
   * Answer 400 "logprobs is not supported" to a request that asks for log-probabilities, as many
   * OpenAI-compatible servers do; a request without them gets the rest of the step.
   */
  readonly rejectLogprobs?: boolean
  readonly delayMs?: number
  /** Destroy the socket instead of answering. */
  readonly reset?: boolean
  /** Send this string as the body verbatim (malformed JSON). */
  readonly raw?: string
  /** Send this value, JSON-encoded, as the body (any shape, with any status). */
  readonly json?: unknown
  /**
   * Answer 200 with a completion whose text is this many bytes (the body a little more), streamed
   * with its Content-Length as fast as the client reads, so the fake itself holds little of it.
   */
  readonly bodyBytes?: number
  /** Answer 200 with a completion whose text never ends (chunked, no Content-Length), until the client hangs up. */
  readonly endless?: boolean
  /** In a provider batch: the line is never run and ends expired (OpenAI `batch_expired`, Anthropic `expired`). */
  readonly batchExpired?: boolean
  /** In a provider batch: this string is the line's whole result line, verbatim (a malformed result). */
  readonly batchRawLine?: string
}

export interface ReceivedRequest {
  readonly protocol: Protocol
  /** The HTTP path, or for a provider batch's line the line's endpoint (`/v1/chat/completions`, `/v1/messages`). */
  readonly path: string
  /** Set on a line run inside a provider batch (see `FakeBatches`): that batch's id. */
  readonly batchId?: string
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly body: Record<string, unknown>
  /** The last user message's text. */
  readonly prompt: string
  /** Every message's text, system prompt first. */
  readonly allText: string
  /** `Date.now()` when the request's body had arrived (rate-limit tests count calls over time). */
  readonly receivedAt: number
}

interface Rule {
  readonly match: string
  readonly steps: Array<Step>
  /** Repeat the last step forever once the others are used. */
  readonly repeatLast: boolean
}

export class FakeUpstreamState {
  readonly requests: Array<ReceivedRequest> = []
  private readonly rules: Array<Rule> = []
  private inFlightNow = 0
  peakInFlight = 0
  /** Requests whose client hung up before the answer was sent (cancellation reached us). */
  aborted = 0
  url = ""
  /** The providers' batch APIs on the same base URL, answering lines with the same scripts. */
  readonly batches: FakeBatches = new FakeBatches(this)

  /** The next requests whose prompt contains `match` get these steps, in order. */
  script(match: string, ...steps: ReadonlyArray<Step>): void {
    this.rules.push({ match, steps: [...steps], repeatLast: false })
  }

  /** Every request whose prompt contains `match` gets this step, forever. */
  always(match: string, step: Step): void {
    this.rules.push({ match, steps: [step], repeatLast: true })
  }

  callsFor(match: string): ReadonlyArray<ReceivedRequest> {
    return this.requests.filter((r) => r.prompt.includes(match))
  }

  /** Records a request (a batch's line when `batchId` is set) and takes the step its prompt is scripted with. */
  takeStep(
    protocol: Protocol,
    path: string,
    headers: ReceivedRequest["headers"],
    body: Record<string, unknown>,
    batchId?: string
  ): { readonly step: Step; readonly prompt: string } {
    const { prompt, allText } = promptOf(body)
    const receivedAt = Date.now()
    this.requests.push(
      batchId === undefined
        ? { protocol, path, headers, body, prompt, allText, receivedAt }
        : { protocol, path, batchId, headers, body, prompt, allText, receivedAt }
    )
    return { step: this.nextStep(prompt), prompt }
  }

  private nextStep(prompt: string): Step {
    const rule = this.rules.find((r) => r.steps.length > 0 && prompt.includes(r.match))
    if (rule === undefined) return {}
    return rule.repeatLast && rule.steps.length === 1 ? rule.steps[0]! : rule.steps.shift()!
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const path = req.url ?? "/"
    if (await this.batches.handle(req, res, Buffer.concat(chunks))) return
    const protocol = path.endsWith("/messages") ? "anthropic" : "openai"
    let body: Record<string, unknown>
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    } catch {
      res.writeHead(400).end("fake upstream: body is not JSON")
      return
    }
    const { step, prompt } = this.takeStep(protocol, path, req.headers, body)
    res.once("close", () => {
      if (!res.writableEnded) this.aborted += 1
    })
    this.inFlightNow += 1
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlightNow)
    try {
      if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs))
      if (step.reset) {
        req.socket.destroy()
        return
      }
      const status = step.status ?? 200
      const headers = { "content-type": "application/json", ...step.headers }
      if (step.rejectLogprobs && body.logprobs !== undefined) {
        res.writeHead(400, headers).end(JSON.stringify(logprobsRefusal))
      } else if (step.endless || step.bodyBytes !== undefined) {
        await sendPadded(res, headers, protocol, step.endless ? Infinity : step.bodyBytes ?? 0)
      } else if (step.raw !== undefined) {
        res.writeHead(status, headers).end(step.raw)
      } else if (step.json !== undefined) {
        res.writeHead(status, headers).end(JSON.stringify(step.json))
      } else if (status !== 200) {
        res.writeHead(status, headers).end(JSON.stringify(errorBody(protocol, status)))
      } else {
        const text = step.text ?? `answer to: ${prompt}`
        const model = String(body.model)
        res.writeHead(200, headers).end(JSON.stringify(
          protocol === "anthropic"
            ? anthropicAnswer(model, text, step.finishReason ?? "end_turn")
            : openAiAnswer(model, text, step.logprobs, step.finishReason ?? "stop")
        ))
      }
    } finally {
      this.inFlightNow -= 1
    }
  }
}

const paddedEnds = {
  openai: [
    '{"id":"chatcmpl-fake","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"',
    '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}'
  ],
  anthropic: [
    '{"id":"msg_fake","type":"message","role":"assistant","content":[{"type":"text","text":"',
    '"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":6}}'
  ]
} as const

const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done)
      res.off("close", done)
      resolve()
    }
    res.on("drain", done)
    res.on("close", done)
  })

/** A completion whose text is `size` bytes of "x" (Infinity: endless), written as fast as the client reads. */
const sendPadded = async (
  res: ServerResponse,
  headers: Readonly<Record<string, string>>,
  protocol: Protocol,
  size: number
) => {
  const [head, tail] = paddedEnds[protocol]
  let closed = false
  res.once("close", () => (closed = true))
  const length = Number.isFinite(size) ? { "content-length": String(head.length + size + tail.length) } : {}
  res.writeHead(200, { ...headers, ...length })
  res.write(head)
  const chunk = "x".repeat(64 * 1024)
  let left = size
  while (left > 0 && !closed) {
    const piece = left >= chunk.length ? chunk : chunk.slice(0, left)
    left -= piece.length
    if (!res.write(piece)) await drained(res)
  }
  if (!closed) res.end(tail)
}

/** Starts a fake on a free loopback port for the current scope (for a second upstream in a test). */
export const startFakeUpstream = Effect.acquireRelease(
  Effect.promise(() => {
    const state = new FakeUpstreamState()
    const server = createServer((req, res) => {
      state.handle(req, res).catch(() => res.destroy())
    })
    return new Promise<{ state: FakeUpstreamState; close: () => Promise<void> }>((resolve) => {
      server.listen(0, "127.0.0.1", () => {
        state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resolve({
          state,
          close: () =>
            new Promise((done) => {
              server.closeAllConnections()
              server.close(() => done())
            })
        })
      })
    })
  }),
  ({ close }) => Effect.promise(close)
).pipe(Effect.map(({ state }) => state))

export class FakeUpstream extends Context.Service<FakeUpstream, FakeUpstreamState>()("test/FakeUpstream") {
  /** A fresh fake per use, listening on a free loopback port. */
  static readonly layer = Layer.effect(FakeUpstream, startFakeUpstream)
}
