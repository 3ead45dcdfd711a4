/**
 * The checks /rpc and /mcp make on their message envelopes before effect reads them: the body is
 * JSON (one value per line on /rpc), and a message's `headers` field, if any, is a list of
 * `[name, value]` string pairs. effect merges that field into a request's headers unchecked, so an
 * object or a number there was a TypeError (a 500); here it is a 400. (Identity never comes from
 * that field: rpc/server.ts, mcp/http.ts.)
 */
import { Effect, Predicate } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"

const isHeaderPairs = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((part) => typeof part === "string"))

const badHeaders = "has `headers` that is not a list of [name, value] string pairs"

/** What is wrong with one message's `headers`, or undefined when nothing is. */
const headersProblem = (message: unknown): string | undefined =>
  !Predicate.hasProperty(message, "headers") || message.headers === undefined || isHeaderPairs(message.headers)
    ? undefined
    : badHeaders

/** /rpc: the first problem of an NDJSON body, as the 400's message. */
export const ndjsonEnvelopeProblem = (text: string): string | undefined => {
  const lines = text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/\r$/, "")
    if (line.trim() === "") continue
    let message: unknown
    try {
      message = JSON.parse(line)
    } catch {
      return `RPC message on line ${index + 1} is not valid JSON`
    }
    const problem = headersProblem(message)
    if (problem !== undefined) return `RPC message on line ${index + 1} ${problem}`
  }
  return undefined
}

/** /mcp: one JSON-RPC message or a batch of them. Not JSON is left to the MCP server's own answer. */
export const jsonRpcEnvelopeProblem = (text: string): string | undefined => {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  const messages: ReadonlyArray<unknown> = Array.isArray(body) ? body : [body]
  for (const message of messages) {
    const problem = headersProblem(message)
    if (problem !== undefined) return `JSON-RPC message ${problem}`
  }
  return undefined
}

/**
 * One POST's envelope check: `problem` reads the body, which the transport then reads again from
 * the request's cache. A body that cannot be read is handed on (undefined): the transport meets the
 * same failure and answers it (a body over the route's limit is the router's 413).
 */
export const envelopeRefusal = (
  request: HttpServerRequest.HttpServerRequest,
  problem: (text: string) => string | undefined
): Effect.Effect<HttpServerResponse.HttpServerResponse | undefined> =>
  request.method !== "POST" ? Effect.succeed(undefined) : Effect.map(Effect.result(request.text), (text) => {
    const found = text._tag === "Success" ? problem(text.success) : undefined
    return found === undefined ? undefined : HttpServerResponse.jsonUnsafe({ error: found }, { status: 400 })
  })

export const rpcEnvelopeGuard = HttpRouter.middleware((handle) =>
  Effect.gen(function*() {
    const refusal = yield* envelopeRefusal(yield* HttpServerRequest.HttpServerRequest, ndjsonEnvelopeProblem)
    return refusal ?? (yield* handle)
  })
)
