/**
 * The `fetch` both SDKs are given: undici's `request` over one keep-alive connection pool, with the
 * response body read before it resolves. It does what the SDKs' non-streaming calls need from
 * fetch (method, headers, a string or bytes body, an abort signal; status, headers, body) without
 * the WHATWG fetch and streams machinery, which is about 40 % of an SDK call's CPU time (README,
 * Performance). Anything else (a `Request`, a stream or form body) goes to the global fetch.
 *
 * Unlike fetch it neither follows redirects nor asks for compressed responses: provider APIs
 * answer POSTs directly, and an uncompressed completion is small.
 */
import { Agent, request } from "undici"

const pool = new Agent({
  // Keep idle connections longer than undici's default 4 s: batches come in bursts.
  keepAliveTimeout: 30_000,
  // No transport deadlines of its own: the SDK's timeout (LLM_TIMEOUT_MS) bounds every call, body
  // included since it is read here, and undici's 300 s defaults would cut a raised one short.
  headersTimeout: 0,
  bodyTimeout: 0
})

/** Statuses whose response has no body (a `Response` refuses one). */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

const responseHeaders = (raw: Record<string, string | ReadonlyArray<string> | undefined>): Headers => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === "string") headers.append(name, value)
    else if (value !== undefined) for (const item of value) headers.append(name, item)
  }
  return headers
}

export const sdkFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const body = init?.body ?? undefined
  if (input instanceof Request || !(body === undefined || typeof body === "string" || body instanceof Uint8Array)) {
    return fetch(input, init)
  }
  const response = await request(input, {
    dispatcher: pool,
    method: init?.method ?? "GET",
    headers: new Headers(init?.headers),
    body: body ?? null,
    signal: init?.signal ?? null
  })
  const headers = responseHeaders(response.headers)
  if (nullBodyStatuses.has(response.statusCode)) {
    await response.body.dump()
    return new Response(null, { status: response.statusCode, headers })
  }
  return new Response(await response.body.bytes(), { status: response.statusCode, headers })
}
