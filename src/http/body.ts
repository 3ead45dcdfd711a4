/** Reads a request body as JSON within the configured size limit; every failure is a 4xx of the contract. */
import { ByteSize, Effect } from "effect"
import { HttpIncomingMessage, type HttpServerRequest } from "effect/http"
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType } from "../domain/Http.ts"

export type BodyError = InvalidRequest | PayloadTooLarge | UnsupportedMediaType

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** No content type is read as JSON (curl users forget it); a non-JSON one is refused. */
const isJsonContentType = (contentType: string | undefined): boolean =>
  contentType === undefined || /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())

const readBytes = (request: HttpServerRequest.HttpServerRequest, maxBytes: number) =>
  request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBytes)),
    Effect.mapError((error) =>
      error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"
        ? new PayloadTooLarge({ error: `request body is larger than ${maxBytes} bytes (MAX_BODY_BYTES)` })
        : new InvalidRequest({ error: "request body could not be read (truncated or aborted)" })
    )
  )

export const readJsonBody = Effect.fnUntraced(function*(
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.fn.Return<unknown, BodyError> {
  const contentType = request.headers["content-type"]
  if (!isJsonContentType(contentType)) {
    return yield* new UnsupportedMediaType({
      error: `content type '${contentType}' is not accepted: send Content-Type: application/json`
    })
  }
  const buffer = yield* readBytes(request, maxBytes)
  return yield* Effect.try({
    try: () => JSON.parse(utf8.decode(buffer)) as unknown,
    catch: (cause) =>
      new InvalidRequest({
        // TextDecoder throws a TypeError for bad UTF-8; JSON.parse a SyntaxError, or a RangeError
        // when nesting exhausts the stack.
        error: cause instanceof TypeError
          ? "request body is not valid UTF-8"
          : cause instanceof RangeError
          ? "request body is nested too deeply"
          : `request body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  })
})
