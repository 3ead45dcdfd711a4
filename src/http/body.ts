/** Reads a request body as JSON within the configured size limit; every failure is a 4xx. */
import { ByteSize, Data, Effect } from "effect"
import { HttpIncomingMessage, type HttpServerRequest } from "effect/http"

export class BodyError extends Data.TaggedError("BodyError")<{
  readonly status: 400 | 413
  readonly message: string
}> {}

const utf8 = new TextDecoder("utf-8", { fatal: true })

export const readJsonBody = (request: HttpServerRequest.HttpServerRequest, maxBytes: number) =>
  request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBytes)),
    Effect.mapError((error) =>
      error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"
        ? new BodyError({ status: 413, message: `request body is larger than ${maxBytes} bytes (MAX_BODY_BYTES)` })
        : new BodyError({ status: 400, message: "request body could not be read (truncated or aborted)" })
    ),
    Effect.flatMap((buffer) =>
      Effect.try({
        try: () => JSON.parse(utf8.decode(buffer)) as unknown,
        catch: (cause) =>
          new BodyError({
            status: 400,
            // TextDecoder throws a TypeError for bad UTF-8; JSON.parse a SyntaxError.
            message: cause instanceof SyntaxError
              ? `request body is not valid JSON: ${cause.message}`
              : "request body is not valid UTF-8"
          })
      })
    )
  )
