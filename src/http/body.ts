/** Reads a request body as JSON (or JSONL) within a size limit; every failure is a 4xx of the contract. */
import { ByteSize, Effect, Stream } from "effect"
import { isUtf8 } from "node:buffer"
import { HttpIncomingMessage, type HttpServerError, type HttpServerRequest } from "effect/http"
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from "../domain/Http.ts"
import { jsonValuesIn } from "../domain/jsonValues.ts"

export type BodyError = InvalidRequest | PayloadTooLarge | UnsupportedMediaType

/** The size of a body (MAX_BODY_BYTES or MAX_JOB_BODY_BYTES) and the JSON values its parse may hold (MAX_JSON_VALUES). */
export interface BodyLimits {
  readonly maxBytes: number
  readonly maxValues: number
}

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

export const tooLarge = (maxBytes: number, limit: string) =>
  new PayloadTooLarge({ error: `request body is larger than ${maxBytes} bytes (${limit})` })

/** A body read stopped at its `MaxBodySize`. */
export const isBodyTooLarge = (error: HttpServerError.HttpServerError): boolean =>
  error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"

/** Why a body could not be read, as the contract's 413 or 400; `limit` names the setting of `maxBytes`. */
export const readFailure = (error: HttpServerError.HttpServerError, maxBytes: number, limit: string) =>
  isBodyTooLarge(error)
    ? tooLarge(maxBytes, limit)
    : new InvalidRequest({ error: "request body could not be read (truncated or aborted)" })

/** A JSON body that could parse into more than `maxValues` values: refused before it is parsed. */
export const tooManyValues = (bytes: Uint8Array, maxValues: number): PayloadTooLarge | undefined =>
  jsonValuesIn(bytes, maxValues) > maxValues
    ? new PayloadTooLarge({
      error: `request body holds more than ${maxValues} JSON values (MAX_JSON_VALUES): split it into smaller requests`
    })
    : undefined

/** `limit` names the setting that sets `maxBytes`, for the 413's message. */
const readText = (request: HttpServerRequest.HttpServerRequest, limits: BodyLimits, limit: string) =>
  request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limits.maxBytes)),
    Effect.mapError((error) => readFailure(error, limits.maxBytes, limit)),
    Effect.flatMap((buffer) => {
      const refusal = tooManyValues(new Uint8Array(buffer), limits.maxValues)
      return refusal === undefined ? Effect.succeed(buffer) : Effect.fail(refusal)
    }),
    // Node's native check and decode: ~20× faster than a fatal TextDecoder on a job-sized body,
    // which held the event loop for half a second. A leading byte-order mark is dropped, as TextDecoder does.
    Effect.flatMap((buffer) =>
      isUtf8(buffer)
        ? Effect.succeed(Buffer.from(buffer).toString("utf8").replace(/^\uFEFF/, ""))
        : Effect.fail(new InvalidRequest({ error: "request body is not valid UTF-8" }))
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
  limits: BodyLimits
): Effect.fn.Return<unknown, BodyError> {
  const contentType = request.headers["content-type"]
  if (!isJsonContentType(contentType)) {
    return yield* new UnsupportedMediaType({
      error: `${named(contentType)} is not accepted: send Content-Type: application/json`
    })
  }
  return yield* parseJson(yield* readText(request, limits, "MAX_BODY_BYTES"))
})

/**
 * The body as text, piece by piece as it arrives (never whole), within `maxBytes`. A piece never
 * ends inside a character: the decoder holds a split one back for the next piece.
 */
const textPieces = (request: HttpServerRequest.HttpServerRequest, maxBytes: number, limit: string) =>
  Stream.suspend(() => {
    const decoder = new TextDecoder("utf-8", { fatal: true })
    let bytes = 0
    const decode = (chunk: Uint8Array | undefined) =>
      Effect.try({
        try: () => chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true }),
        catch: () => new InvalidRequest({ error: "request body is not valid UTF-8" })
      })
    return request.stream.pipe(
      Stream.mapError((error) => readFailure(error, maxBytes, limit)),
      Stream.mapEffect((chunk) =>
        (bytes += chunk.byteLength) > maxBytes ? Effect.fail(tooLarge(maxBytes, limit)) : decode(chunk)
      ),
      Stream.concat(Stream.fromEffect(Effect.suspend(() => decode(undefined)))),
      Stream.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBytes))
    )
  })

/** `POST /batches`: a JSON `JobRequest`, or JSONL questions as text pieces (parsed line by line as they arrive). */
export type JobBody =
  | { readonly format: "json"; readonly value: unknown }
  | { readonly format: "jsonl"; readonly pieces: Stream.Stream<string, BodyError> }

export const readJobBody = Effect.fnUntraced(function*(
  request: HttpServerRequest.HttpServerRequest,
  limits: BodyLimits
): Effect.fn.Return<JobBody, BodyError> {
  const contentType = request.headers["content-type"]
  if (isJsonlContentType(contentType)) {
    return { format: "jsonl", pieces: textPieces(request, limits.maxBytes, "MAX_JOB_BODY_BYTES") }
  }
  if (!isJsonContentType(contentType)) {
    return yield* new UnsupportedMediaType({
      error: `${named(contentType)} is not accepted: send Content-Type: application/json, ` +
        "or application/jsonl (also application/x-ndjson) for one question per line"
    })
  }
  return { format: "json", value: yield* parseJson(yield* readText(request, limits, "MAX_JOB_BODY_BYTES")) }
})
