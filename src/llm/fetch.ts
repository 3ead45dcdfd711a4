/**
 * The `fetch` both SDKs are given: Node's own HTTP client over keep-alive agents, with the response
 * body read before it resolves. It does what the SDKs' non-streaming calls need from fetch (method,
 * headers, a string or bytes body, an abort signal; status, headers, body) without the WHATWG fetch
 * and streams machinery, which costs about a third of an SDK call's CPU time and shows in batch wall
 * time (docs/performance.md). Anything else (a `Request`, a stream or form body) goes to the global
 * fetch.
 *
 * Unlike fetch it neither follows redirects nor asks for compressed responses: provider APIs answer
 * POSTs directly, and an uncompressed completion is small. It reads at most `maxResponseBytes`
 * (MAX_UPSTREAM_RESPONSE_BYTES) of a body: a provider, or a caller's `api_base`, could otherwise send
 * an answer that fills the heap, or one that never ends.
 */
import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from "node:http"
import { Agent as HttpsAgent, request as httpsRequest } from "node:https"
import type { AddressGuard } from "./addressGuard.ts"

// No socket timeouts: the SDK's timeout (LLM_TIMEOUT_MS) bounds every call, body included since it
// is read here.
const httpAgent = new HttpAgent({ keepAlive: true })
const httpsAgent = new HttpsAgent({ keepAlive: true })
const sharedAgents = { http: httpAgent, https: httpsAgent }

/**
 * A guard's requests get agents of their own, which resolve names through it: every socket they
 * use was opened through the guard, and a keep-alive socket opened for a trusted target (never
 * checked) is never reused for a caller's base.
 */
const guardedAgents = new WeakMap<AddressGuard, typeof sharedAgents>()
const agentsFor = (guard: AddressGuard | undefined): typeof sharedAgents => {
  if (guard === undefined) return sharedAgents
  let agents = guardedAgents.get(guard)
  if (agents === undefined) {
    agents = {
      http: new HttpAgent({ keepAlive: true, lookup: guard.lookup }),
      https: new HttpsAgent({ keepAlive: true, lookup: guard.lookup })
    }
    guardedAgents.set(guard, agents)
  }
  return agents
}

/** Statuses whose response has no body (a `Response` refuses one). */
const nullBodyStatuses = new Set([204, 205, 304])

const responseHeaders = (raw: IncomingHttpHeaders): Headers => {
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
 * wrap it (as the `cause` of their connection error); sdkErrors.ts makes it a non-retryable item error.
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
  const url = new URL(input)
  // Node connects to an IP-literal host without calling the guard's lookup.
  const refused = guard?.checkUrl(url)
  if (refused !== undefined) return Promise.reject(refused)
  const agents = agentsFor(guard)
  const secure = url.protocol === "https:"
  const signal = init?.signal ?? undefined
  return new Promise((resolve, reject) => {
    // An abort (the SDK's timeout, or an interrupted call) is reported as fetch reports it.
    const fail = (error: unknown) => reject(signal?.aborted ? signal.reason : error)
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers)),
      agent: secure ? agents.https : agents.http,
      ...(signal === undefined ? {} : { signal })
    }, (response) => {
      const status = response.statusCode ?? 0
      // Destroying the request drops the socket: it is not returned to the pool with a body half read.
      const tooLarge = () => {
        reject(new ResponseTooLargeError(maxResponseBytes, status))
        request.destroy()
      }
      if (Number(response.headers["content-length"]) > maxResponseBytes) {
        tooLarge()
        return
      }
      const chunks: Array<Buffer> = []
      let received = 0
      response.on("data", (chunk: Buffer) => {
        received += chunk.length
        if (received > maxResponseBytes) {
          chunks.length = 0
          tooLarge()
        } else {
          chunks.push(chunk)
        }
      })
      response.on("error", fail)
      response.on("close", () => {
        if (!response.complete) fail(new Error("the connection closed before the response was complete"))
      })
      response.on("end", () => {
        try {
          const content = nullBodyStatuses.has(status) ? null : Buffer.concat(chunks, received)
          resolve(new Response(content, { status, headers: responseHeaders(response.headers) }))
        } catch (error) {
          // A status fetch cannot represent (outside 200–599).
          reject(error)
        }
      })
    })
    request.on("error", fail)
    request.end(body)
  })
}
