/**
 * The checks /rpc makes on its NDJSON envelopes before effect's RpcServer reads them: each line is
 * JSON, and a request's `headers`, if any, is a list of `[name, value]` string pairs. effect merges
 * that field into the request's headers unchecked, so an object or a number there was a TypeError
 * (a 500); here it is a 400 naming the line. (Identity never comes from that field: server.ts.)
 */
import { ByteSize, Effect, Predicate } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { AppConfig } from "../config/AppConfig.ts"

const isHeaderPairs = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((part) => typeof part === "string"))

/** What is wrong with one NDJSON line, or undefined when nothing is. */
const lineProblem = (line: string): string | undefined => {
  let message: unknown
  try {
    message = JSON.parse(line)
  } catch {
    return "is not valid JSON"
  }
  if (!Predicate.hasProperty(message, "headers") || message.headers === undefined) return undefined
  return isHeaderPairs(message.headers) ? undefined : "has `headers` that is not a list of [name, value] string pairs"
}

/** The first problem of an NDJSON body, as the 400's message. */
export const envelopeProblem = (text: string): string | undefined => {
  const lines = text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/\r$/, "")
    if (line.trim() === "") continue
    const problem = lineProblem(line)
    if (problem !== undefined) return `RPC message on line ${index + 1} ${problem}`
  }
  return undefined
}

export const rpcEnvelopeGuard = HttpRouter.middleware(Effect.gen(function*() {
  const config = yield* AppConfig
  return (handle) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (request.method !== "POST") return yield* handle
      // The body is read once: RpcServer reads the same cached text afterwards.
      const text = yield* request.text.pipe(
        Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(config.maxBodyBytes)),
        Effect.result
      )
      if (text._tag === "Failure") {
        const tooLarge = text.failure.reason._tag === "RequestParseError" && text.failure.reason.reason === "BodyTooLarge"
        return HttpServerResponse.jsonUnsafe(
          {
            error: tooLarge
              ? `request body is larger than ${config.maxBodyBytes} bytes (MAX_BODY_BYTES)`
              : "request body could not be read (truncated or aborted)"
          },
          { status: tooLarge ? 413 : 400 }
        )
      }
      const problem = envelopeProblem(text.success)
      if (problem !== undefined) return HttpServerResponse.jsonUnsafe({ error: problem }, { status: 400 })
      return yield* handle
    })
}))
