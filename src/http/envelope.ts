/**
 * The checks /rpc and /mcp make on their message envelopes before effect reads them: the body is
 * JSON (one value per line on /rpc), and a message's `headers` field, if any, is a list of
 * `[name, value]` string pairs. effect merges that field into a request's headers unchecked, so an
 * object or a number there was a TypeError (a 500); here it is a 400. (Identity never comes from
 * that field: rpc/server.ts, mcp/http.ts.)
 */
import { ByteSize, Effect, Predicate } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { AppConfig } from "../config/AppConfig.ts"

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

/** A guard for one route's POSTs: `problem` reads the body (read once: effect reuses the cached text). */
const envelopeGuard = (problem: (text: string) => string | undefined) =>
  HttpRouter.middleware(Effect.gen(function*() {
    const config = yield* AppConfig
    return (handle) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (request.method !== "POST") return yield* handle
        const text = yield* request.text.pipe(
          Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(config.maxBodyBytes)),
          Effect.result
        )
        if (text._tag === "Failure") {
          const reason = text.failure.reason
          const tooLarge = reason._tag === "RequestParseError" && reason.reason === "BodyTooLarge"
          return HttpServerResponse.jsonUnsafe(
            {
              error: tooLarge
                ? `request body is larger than ${config.maxBodyBytes} bytes (MAX_BODY_BYTES)`
                : "request body could not be read (truncated or aborted)"
            },
            { status: tooLarge ? 413 : 400 }
          )
        }
        const found = problem(text.success)
        if (found !== undefined) return HttpServerResponse.jsonUnsafe({ error: found }, { status: 400 })
        return yield* handle
      })
  }))

export const rpcEnvelopeGuard = envelopeGuard(ndjsonEnvelopeProblem)

export const mcpEnvelopeGuard = envelopeGuard(jsonRpcEnvelopeProblem)
