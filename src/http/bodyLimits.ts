/**
 * The same body limits on every route, /mcp and /rpc included (their transports read bodies
 * themselves, with no limit of their own): a body whose Content-Length is over its route's limit
 * is refused before a byte of it is read, and a chunked one stops being read at the limit.
 */
import { ByteSize, Cause, Effect } from "effect"
import { HttpIncomingMessage, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { AppConfigShape } from "../config/AppConfig.ts"
import { type InvalidRequest, PayloadTooLarge } from "../domain/Http.ts"
import { errorsIn } from "../domain/Errors.ts"
import { isBodyTooLarge, readFailure, tooLarge, tooManyValues } from "./body.ts"

/** Routes whose bodies may hold a whole job: `POST /batches` (and its estimate), and the agent surfaces' submits. */
const jobSizedPaths: ReadonlySet<string> = new Set(["/batches", "/batches/estimate", "/mcp", "/rpc"])

const pathOf = (url: string) => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

/** The largest body `path` accepts, and the setting that says so. */
export const bodyLimitFor = (
  config: Pick<AppConfigShape, "maxBodyBytes" | "maxJobBodyBytes">,
  path: string
): { readonly bytes: number; readonly setting: string } =>
  jobSizedPaths.has(pathOf(path))
    ? { bytes: config.maxJobBodyBytes, setting: "MAX_JOB_BODY_BYTES" }
    : { bytes: config.maxBodyBytes, setting: "MAX_BODY_BYTES" }

/** body.ts's refusal as a response: the same message and status as the routes that read bodies themselves. */
const refusalResponse = (refusal: PayloadTooLarge | InvalidRequest) =>
  HttpServerResponse.jsonUnsafe({ error: refusal.error }, { status: refusal instanceof PayloadTooLarge ? 413 : 400 })

const tooLargeResponse = (limit: { readonly bytes: number; readonly setting: string }) =>
  refusalResponse(tooLarge(limit.bytes, limit.setting))

/** A body read that stopped at the limit, failed or (as /rpc's transport does) turned into a defect. */
const stoppedAtLimit = (cause: Cause.Cause<unknown>): boolean =>
  errorsIn(cause).some((error) => HttpServerError.isHttpServerError(error) && isBodyTooLarge(error))

/**
 * For a transport that parses its body whole (/mcp, /rpc): the body is read first, within the
 * route's limit, and refused with a 413 when its parse could hold more than MAX_JSON_VALUES values.
 * The transport reads the same bytes again from the request's cache, so the request handed on must
 * be this one (not a `modify`d copy, which would read the finished stream again).
 */
export const refuseTooManyValues = (
  request: HttpServerRequest.HttpServerRequest,
  limit: { readonly bytes: number; readonly setting: string },
  maxValues: number
): Effect.Effect<HttpServerResponse.HttpServerResponse | undefined> =>
  request.method !== "POST" ? Effect.succeed(undefined) : request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limit.bytes)),
    Effect.map((buffer) => {
      const refusal = tooManyValues(new Uint8Array(buffer), maxValues)
      return refusal === undefined ? undefined : refusalResponse(refusal)
    }),
    Effect.catch((error) => Effect.succeed(refusalResponse(readFailure(error, limit.bytes, limit.setting))))
  )

/** Router middleware: the route's limit as the body readers' `MaxBodySize`, and a 413 when it is passed. */
export const limitBodies = (config: Pick<AppConfigShape, "maxBodyBytes" | "maxJobBodyBytes" | "maxJsonValues">) =>
<E, R>(
  handle: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const limit = bodyLimitFor(config, request.url)
    const declared = Number(request.headers["content-length"] ?? 0)
    if (declared > limit.bytes) return Effect.succeed(tooLargeResponse(limit))
    // /mcp reads ahead in its own route middleware, after its Origin check (src/mcp/http.ts).
    const readAhead = pathOf(request.url) === "/rpc"
      ? refuseTooManyValues(request, limit, config.maxJsonValues)
      : Effect.succeed(undefined)
    return readAhead.pipe(
      Effect.flatMap((refusal) => refusal === undefined ? handle : Effect.succeed(refusal)),
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limit.bytes)),
      Effect.catchCause((cause) => stoppedAtLimit(cause) ? Effect.succeed(tooLargeResponse(limit)) : Effect.failCause(cause))
    )
  })
