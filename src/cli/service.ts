/**
 * The job commands' connection to a running service: the HTTP client generated from the contract
 * (`HttpApiClient.make(Api)`), and what each way a call can fail means to the user. Loaded only
 * when a job command runs, so `ask` and `mcp` start without the HTTP modules.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { FetchHttpClient, HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import {
  InternalError,
  InvalidRequest,
  NotFound,
  PayloadTooLarge,
  Unauthorized,
  UnsupportedMediaType
} from "../domain/Http.ts"
import { Api } from "../http/Api.ts"
import { BadInputError, ServiceError } from "./errors.ts"

export interface ServiceOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
}

export const makeClient = (options: ServiceOptions) =>
  HttpApiClient.make(Api, {
    baseUrl: options.url,
    transformClient: (client) =>
      Option.match(options.apiKey, {
        onNone: () => client,
        onSome: (key) => HttpClient.mapRequest(client, HttpClientRequest.bearerToken(Redacted.value(key)))
      })
  }).pipe(Effect.provide(FetchHttpClient.layer))

export type Client = Effect.Success<ReturnType<typeof makeClient>>

/** Every way a call of the generated client can fail. */
export type CallError =
  | InvalidRequest
  | PayloadTooLarge
  | UnsupportedMediaType
  | NotFound
  | Unauthorized
  | InternalError
  | HttpClientError.HttpClientError
  | Schema.SchemaError

/** Why the transport failed, as the user can act on it (e.g. "fetch failed: connect ECONNREFUSED …"). */
const transportCause = (cause: unknown): string =>
  cause instanceof Error
    ? cause.cause instanceof Error ? `${cause.message}: ${cause.cause.message}` : cause.message
    : String(cause)

const clientFailure = (url: string, error: HttpClientError.HttpClientError): BadInputError | ServiceError => {
  const reason = error.reason
  switch (reason._tag) {
    case "TransportError":
      return new ServiceError({
        message: `cannot reach llm-batch at ${url} (${transportCause(reason.cause)}): start it with ` +
          "`llm-batch serve`, or point --url (LLM_BATCH_URL) at a running one"
      })
    case "InvalidUrlError":
      return new BadInputError({ message: `--url (LLM_BATCH_URL) is not a valid URL: ${url}` })
    case "StatusCodeError":
      return new ServiceError({
        message: `${url} answered HTTP ${reason.response.status}, which llm-batch does not send here: is it llm-batch?`
      })
    default:
      return new ServiceError({ message: `talking to ${url} failed: ${error.message}` })
  }
}

/**
 * A failure as the user should read it. Their mistakes (a bad batch, an unknown job, a refused
 * key) exit 2 like bad input; a service that cannot be reached or fails exits 3.
 * `describe` rewrites the service's message (JSONL input: `questions[k]` → `line N`).
 */
export const explain = (url: string, describe: (message: string) => string = (message) => message) =>
(error: CallError): BadInputError | ServiceError => {
  if (error instanceof InvalidRequest || error instanceof PayloadTooLarge || error instanceof UnsupportedMediaType) {
    return new BadInputError({ message: `the service refused the batch: ${describe(error.error)}` })
  }
  if (error instanceof NotFound) return new BadInputError({ message: error.error })
  if (error instanceof Unauthorized) {
    return new BadInputError({
      message: `${url} refused the request (${error.error}): pass --api-key or set LLM_BATCH_API_KEY`
    })
  }
  if (error instanceof InternalError) {
    return new ServiceError({ message: `${url} failed (${error.error}); its log has the details` })
  }
  if (Schema.isSchemaError(error)) {
    return new ServiceError({ message: `${url} answered something that is not llm-batch's API: ${error.message}` })
  }
  return clientFailure(url, error)
}
