/**
 * The `fetch` both SDKs are given: Node's own HTTP client over keep-alive agents, with the response
 * body read before it resolves. It does what the SDKs' non-streaming calls need from fetch (method,
 * headers, a string or bytes body, an abort signal; status, headers, body) without the WHATWG fetch
 * and streams machinery, which costs about a third of an SDK call's CPU time and shows in batch wall
 * time (README, Performance). Anything else (a `Request`, a stream or form body) goes to the global
 * fetch.
 *
 * Unlike fetch it neither follows redirects nor asks for compressed responses: provider APIs answer
 * POSTs directly, and an uncompressed completion is small.
 */
import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from "node:http"
import { Agent as HttpsAgent, request as httpsRequest } from "node:https"

// No socket timeouts: the SDK's timeout (LLM_TIMEOUT_MS) bounds every call, body included since it
// is read here.
const httpAgent = new HttpAgent({ keepAlive: true })
const httpsAgent = new HttpsAgent({ keepAlive: true })

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

export const sdkFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const body = init?.body ?? undefined
  if (input instanceof Request || !(body === undefined || typeof body === "string" || body instanceof Uint8Array)) {
    return fetch(input, init)
  }
  const url = new URL(input)
  const secure = url.protocol === "https:"
  const signal = init?.signal ?? undefined
  return new Promise((resolve, reject) => {
    // An abort (the SDK's timeout, or an interrupted call) is reported as fetch reports it.
    const fail = (error: unknown) => reject(signal?.aborted ? signal.reason : error)
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers)),
      agent: secure ? httpsAgent : httpAgent,
      ...(signal === undefined ? {} : { signal })
    }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("error", fail)
      response.on("close", () => {
        if (!response.complete) fail(new Error("the connection closed before the response was complete"))
      })
      response.on("end", () => {
        const status = response.statusCode ?? 0
        try {
          const content = nullBodyStatuses.has(status) ? null : Buffer.concat(chunks)
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
