/**
 * The HTTP contract of llm-batch: routes, request/response/error schemas (all from `src/domain/`)
 * and the bearer auth they need. The handlers are in `handlers.ts`; `/openapi.json` and `/docs`
 * are generated from this.
 */
import { Context, Schema } from "effect"
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "effect/http-api"
import packageJson from "../../package.json" with { type: "json" }
import { BatchRequest, BatchResponse, ResultItem } from "../domain/Batch.ts"
import {
  ErrorBody,
  Health,
  InternalError,
  InvalidRequest,
  PayloadTooLarge,
  ResponseModelListing,
  Unauthorized,
  UnsupportedMediaType
} from "../domain/Http.ts"

/**
 * Who sent the request, for the fair share of upstream slots: a digest of the bearer key when auth
 * is on (the key itself is not kept), "" when it is off. Provided by `Authorization`.
 */
export class Caller extends Context.Service<Caller, string>()("llm-batch/http/Caller") {}

/** A 401 also tells the client which scheme to use, as RFC 9110 asks. */
const UnauthorizedResponse = Unauthorized.pipe(HttpApiSchema.encodeToWithHeaders({
  body: ErrorBody.pipe(HttpApiSchema.status(401)),
  headers: { "www-authenticate": Schema.Literal("Bearer") }
}, {
  decode: ({ body }) => new Unauthorized(body),
  encode: (error) => ({ body: { error: error.error }, headers: { "www-authenticate": "Bearer" as const } })
}))

/** With API_KEYS set: `Authorization: Bearer <key>`, one of the configured keys. */
export class Authorization extends HttpApiMiddleware.Service<Authorization, { provides: Caller }>()(
  "llm-batch/http/Authorization",
  { security: { bearer: HttpApiSecurity.bearer }, error: UnauthorizedResponse }
) {}

/** The body errors every batch route can answer before the batch runs, and the defect every route may. */
const bodyErrors = [InvalidRequest, PayloadTooLarge, UnsupportedMediaType, InternalError] as const

export class BatchGroup extends HttpApiGroup.make("batch", { topLevel: true })
  .add(
    HttpApiEndpoint.post("ask", "/ask", {
      payload: BatchRequest,
      success: BatchResponse,
      error: bodyErrors
    }).annotateMerge(OpenApi.annotations({
      summary: "Run a batch and answer once every question has finished",
      description: "200 whenever the batch was accepted, even if questions failed: read each result's " +
        "`status`. `Server-Timing: app;dur=…` gives the service's own time in ms."
    })),
    HttpApiEndpoint.post("askStream", "/ask/stream", {
      payload: BatchRequest,
      success: HttpApiSchema.StreamNdjson({ schema: ResultItem }),
      error: bodyErrors
    }).annotateMerge(OpenApi.annotations({
      summary: "Run a batch and stream each result as its question finishes",
      description: "Newline-delimited JSON, one `ResultItem` per line, in finishing order. A batch that is " +
        "invalid as a whole is a 400 before any line; closing the connection interrupts the batch."
    })),
    HttpApiEndpoint.get("responseModels", "/models/response", { success: ResponseModelListing, error: InternalError })
      .annotateMerge(OpenApi.annotations({ summary: "The registered response models with their JSON Schemas" }))
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "Batches" }))
{}

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health, error: InternalError })
      .annotateMerge(OpenApi.annotations({
        summary: "Whether the service is up; its cache and auth mode with a valid key",
        description: "Open to all. With API_KEYS set, only a request with a valid key sees more than `status`."
      }))
  )
  .annotateMerge(OpenApi.annotations({ title: "System" }))
{}

export class Api extends HttpApi.make("llm-batch")
  .add(BatchGroup)
  .add(SystemGroup)
  .annotateMerge(OpenApi.annotations({
    title: "llm-batch",
    version: packageJson.version,
    description: packageJson.description + " MCP is served at `/mcp` and Effect RPC at `/rpc`."
  }))
{}
