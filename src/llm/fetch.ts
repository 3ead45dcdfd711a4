/**
 * The `fetch` both SDKs are given: undici's dispatcher (keep-alive connection pools per origin)
 * driven directly, with the response body read before it resolves. It does what the SDKs'
 * non-streaming calls need from fetch (method, headers, a string or bytes body, an abort signal;
 * status, headers, body) without the WHATWG fetch and streams machinery: an SDK call costs about a
 * fifth less CPU than over Node's `http` agents and half of what the built-in fetch costs
 * (docs/performance.md). Anything else (a `Request`, a stream or form body) goes to the global fetch.
 *
 * Unlike fetch it neither follows redirects nor asks for compressed responses: provider APIs answer
 * POSTs directly, and an uncompressed completion is small. It reads at most `maxResponseBytes`
 * (MAX_UPSTREAM_RESPONSE_BYTES) of a body: a provider, or a caller's `api_base`, could otherwise send
 * an answer that fills the heap, or one that never ends.
 */
import type { IncomingHttpHeaders } from "node:http"
import { Agent, type Dispatcher } from "undici"
import type { AddressGuard } from "./addressGuard.ts"

const agentOptions = {
  // No timeouts of its own: the SDK's timeout (LLM_TIMEOUT_MS) bounds every call, body included
  // since it is read here.
  connectTimeout: 0,
  headersTimeout: 0,
  bodyTimeout: 0,
  // HTTP/1.1 as before: one connection per call in flight, never a stream multiplexed with others.
  allowH2: false
} as const

/** The pool of every unguarded call: connections per origin, as many as there are calls in flight, kept alive. */
const sharedAgent = new Agent(agentOptions)

/**
 * A guard's requests get an agent of their own, which resolves names through it: every socket it
 * uses was opened through the guard, and a keep-alive socket opened for a trusted target (never
 * checked) is never reused for a caller's base.
 */
const guardedAgents = new WeakMap<AddressGuard, Agent>()
const agentFor = (guard: AddressGuard | undefined): Agent => {
  if (guard === undefined) return sharedAgent
  let agent = guardedAgents.get(guard)
  if (agent === undefined) {
    agent = new Agent({ ...agentOptions, connect: { lookup: guard.lookup } })
    guardedAgents.set(guard, agent)
  }
  return agent
}

/**
 * A `Response` whose body was read already: the SDKs read it with `text()` or `json()`, which here
 * decode the bytes at once instead of going through a web stream made for them (~15 % of an SDK
 * call's CPU). `body` is null (and `bodyUsed` false), as for a body-less response; every reader
 * method works, once.
 */
class ReadResponse extends Response {
  readonly #content: Buffer | null
  #used = false
  constructor(content: Buffer | null, init: ResponseInit) {
    super(null, init)
    this.#content = content
  }
  #take(): Promise<Buffer> {
    if (this.#used) return Promise.reject(new TypeError("Body is unusable: Body has already been read"))
    this.#used = true
    return Promise.resolve(this.#content ?? Buffer.alloc(0))
  }
  override readonly text = (): Promise<string> => this.#take().then((content) => content.toString("utf8"))
  override readonly json = (): Promise<unknown> => this.text().then((text): unknown => JSON.parse(text))
  override readonly arrayBuffer = (): Promise<ArrayBuffer> => this.#take().then((content) => new Uint8Array(content).buffer)
  override readonly bytes = (): Promise<Uint8Array<ArrayBuffer>> => this.#take().then((content) => new Uint8Array(content))
  override readonly blob = (): Promise<Blob> =>
    this.#take().then((content) => new Blob([new Uint8Array(content)], { type: this.headers.get("content-type") ?? "" }))
  override readonly clone = (): Response => {
    if (this.#used) throw new TypeError("Response.clone: Body has already been consumed")
    return new ReadResponse(this.#content, { status: this.status, statusText: this.statusText, headers: this.headers })
  }
}

/** Statuses whose response has no body (a `Response` refuses one). */
const nullBodyStatuses = new Set([204, 205, 304])

const toHeaders = (raw: IncomingHttpHeaders): Headers => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === "string") headers.append(name, value)
    else if (value !== undefined) for (const item of value) headers.append(name, item)
  }
  return headers
}

export interface SdkFetchOptions {
  /** Largest response body read; past it the connection is dropped (MAX_UPSTREAM_RESPONSE_BYTES). */
  readonly maxResponseBytes: number
  /** Connect only where this guard allows (a caller's `api_base`; see addressGuard.ts). */
  readonly guard?: AddressGuard | undefined
}

/**
 * A response body past `maxResponseBytes`: reading stopped and the socket was destroyed. The SDKs
 * wrap it (as the `cause` of their connection error); failures.ts makes it a non-retryable item error.
 */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError"
  readonly limit: number
  readonly status: number
  constructor(limit: number, status: number) {
    super(`the response body is larger than ${limit} bytes (MAX_UPSTREAM_RESPONSE_BYTES)`)
    this.limit = limit
    this.status = status
  }
}

/** The `fetch` to give an SDK client. A `Request` or a streamed body (never sent by our calls) goes to the global fetch. */
export const makeSdkFetch = (options: SdkFetchOptions) =>
(input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const body = init?.body ?? undefined
  if (input instanceof Request || !(body === undefined || typeof body === "string" || body instanceof Uint8Array)) {
    // The global fetch would connect without the guard.
    return options.guard === undefined
      ? fetch(input, init)
      : Promise.reject(new Error("a guarded request must be a URL with a string or bytes body"))
  }
  const { maxResponseBytes, guard } = options
  const url = typeof input === "string" ? new URL(input) : input
  // A connection to an IP-literal host is opened without calling the guard's lookup.
  const refused = guard?.checkUrl(url)
  if (refused !== undefined) return Promise.reject(refused)
  const signal = init?.signal ?? undefined
  if (signal?.aborted === true) return Promise.reject(signal.reason)
  const headers = init?.headers
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined
    let status = 0
    let responseHeaders: IncomingHttpHeaders = {}
    const chunks: Array<Buffer> = []
    let received = 0
    // An abort (the SDK's timeout, or an interrupted call) is reported as fetch reports it, at once
    // even while the request waits for a connection (it is dropped when it gets one).
    const onAbort = () => controller === undefined ? reject(signal?.reason) : controller.abort(signal?.reason)
    signal?.addEventListener("abort", onAbort, { once: true })
    const done = () => signal?.removeEventListener("abort", onAbort)
    agentFor(guard).dispatch({
      origin: url.origin,
      path: url.pathname + url.search,
      method: init?.method ?? "GET",
      // The SDKs pass a `Headers`, which undici reads as it is.
      ...(headers === undefined ? {} : { headers: headers instanceof Headers ? headers : new Headers(headers) }),
      body: body ?? null
    }, {
      onRequestStart: (started) => {
        controller = started
        if (signal?.aborted === true) started.abort(signal.reason)
      },
      onResponseStart: (started, statusCode, raw) => {
        status = statusCode
        responseHeaders = raw
        // Aborting drops the socket: it is not returned to the pool with a body half read.
        if (Number(raw["content-length"]) > maxResponseBytes) started.abort(new ResponseTooLargeError(maxResponseBytes, status))
      },
      onResponseData: (started, chunk) => {
        received += chunk.length
        if (received > maxResponseBytes) {
          chunks.length = 0
          started.abort(new ResponseTooLargeError(maxResponseBytes, status))
        } else {
          chunks.push(chunk)
        }
      },
      onResponseEnd: () => {
        done()
        try {
          const content = nullBodyStatuses.has(status) ? null : Buffer.concat(chunks, received)
          resolve(new ReadResponse(content, { status, headers: toHeaders(responseHeaders) }))
        } catch (error) {
          // A status fetch cannot represent (outside 200–599).
          reject(error)
        }
      },
      onResponseError: (_controller, error) => {
        done()
        reject(signal?.aborted === true ? signal.reason : error)
      }
    })
  })
}
