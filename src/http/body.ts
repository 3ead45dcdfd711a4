/** Reads a request body as JSON (or JSONL) within a size limit; every failure is a 4xx of the contract. */
import { ByteSize, Effect } from "effect"
import { HttpIncomingMessage, type HttpServerRequest } from "effect/http"
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from "../domain/Http.ts"

export type BodyError = InvalidRequest | PayloadTooLarge | UnsupportedMediaType

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * JSON: `application/json` or `application/*+json`. A body without a content type is refused: a
 * web page may send one to any site without asking (no CORS preflight), a JSON one it may not.
 */
const isJsonContentType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())

/** One JSON value per line: `application/jsonl` or `application/x-ndjson`. */
const isJsonlContentType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/(jsonl|x-ndjson)\s*(;|$)/i.test(contentType.trim())

/** What any body on any route must be (crossSite.ts): JSON, or JSON lines (/rpc, POST /batches). */
export const isJsonFamilyContentType = (contentType: string | undefined): boolean =>
  isJsonContentType(contentType) || isJsonlContentType(contentType)

const named = (contentType: string | undefined) => contentType === undefined ? "no content type" : `content type '${contentType}'`

/** `limit` names the setting that sets `maxBytes`, for the 413's message. */
const readText = (request: HttpServerRequest.HttpServerRequest, maxBytes: number, limit: string) =>
  request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBytes)),
    Effect.mapError((error) =>
      error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"
        ? new PayloadTooLarge({ error: `request body is larger than ${maxBytes} bytes (${limit})` })
        : new InvalidRequest({ error: "request body could not be read (truncated or aborted)" })
    ),
    Effect.flatMap((buffer) =>
      Effect.try({
        // TextDecoder throws a TypeError for bad UTF-8.
        try: () => utf8.decode(buffer),
        catch: () => new InvalidRequest({ error: "request body is not valid UTF-8" })
      })
    )
  )

const parseJson = (text: string) =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (cause) =>
      new InvalidRequest({
        // JSON.parse throws a SyntaxError, or a RangeError when nesting exhausts the stack.
        error: cause instanceof RangeError
          ? "request body is nested too deeply"
          : `request body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  })

export const readJsonBody = Effect.fnUntraced(function*(
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.fn.Return<unknown, BodyError> {
  const contentType = request.headers["content-type"]
  if (!isJsonContentType(contentType)) {
    return yield* new UnsupportedMediaType({
      error: `${named(contentType)} is not accepted: send Content-Type: application/json`
    })
  }
  return yield* parseJson(yield* readText(request, maxBytes, "MAX_BODY_BYTES"))
})

/** `POST /batches`: a JSON `JobRequest`, or the text of JSONL questions (parsed line by line later). */
export type JobBody =
  | { readonly format: "json"; readonly value: unknown }
  | { readonly format: "jsonl"; readonly text: string }

export const readJobBody = Effect.fnUntraced(function*(
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.fn.Return<JobBody, BodyError> {
  const contentType = request.headers["content-type"]
  if (isJsonlContentType(contentType)) {
    return { format: "jsonl", text: yield* readText(request, maxBytes, "MAX_JOB_BODY_BYTES") }
  }
  if (!isJsonContentType(contentType)) {
    return yield* new UnsupportedMediaType({
      error: `${named(contentType)} is not accepted: send Content-Type: application/json, ` +
        "or application/jsonl (also application/x-ndjson) for one question per line"
    })
  }
  return { format: "json", value: yield* parseJson(yield* readText(request, maxBytes, "MAX_JOB_BODY_BYTES")) }
})
