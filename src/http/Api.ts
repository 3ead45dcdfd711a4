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
import { BatchRequest, BatchResponse, QuestionItem, ResultItem } from "../domain/Batch.ts"
import {
  ErrorBody,
  Health,
  InternalError,
  InvalidRequest,
  MetricsText,
  NotFound,
  PayloadTooLarge,
  ResponseModelListing,
  Unauthorized,
  UnsupportedMediaType
} from "../domain/Http.ts"
import { JobEstimate } from "../domain/Estimate.ts"
import { Job, JobList, JobRequest } from "../domain/Job.ts"

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

/** What Prometheus expects of a scrape's answer. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

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

/**
 * A query or path parameter that does not decode is the caller's mistake: a 400 naming it
 * (`limit: expected …`), not the bodiless 400 (and logged defect) effect would answer.
 */
export class ParameterErrors extends HttpApiMiddleware.Service<ParameterErrors>()("llm-batch/http/ParameterErrors", {
  error: InvalidRequest
}) {}

/** The job a route names: `batch_…` as `POST /batches` returned it. */
const jobParams = { id: Schema.String.annotate({ description: "The job's id, `batch_…`" }) }

/** What every route about one job may answer besides its success. */
const jobErrors = [NotFound, InternalError] as const

export class JobsGroup extends HttpApiGroup.make("jobs", { topLevel: true })
  .add(
    HttpApiEndpoint.post("submit", "/batches", {
      payload: [
        JobRequest,
        HttpApiSchema.StreamNdjson({ schema: QuestionItem, contentType: ["application/jsonl", "application/x-ndjson"] })
      ],
      success: Job.pipe(HttpApiSchema.status(202)),
      error: bodyErrors
    }).annotateMerge(OpenApi.annotations({
      summary: "Store a batch as a durable job and start it",
      description: "A JSON `JobRequest`, or JSONL (`application/jsonl` or `application/x-ndjson`): one " +
        "`QuestionItem` per line, where a line without `index` gets its 1-based line number. The job is stored " +
        "before the 202; it survives restarts. Invalid → 400 naming the question or line. Up to MAX_JOB_SIZE " +
        "questions and MAX_JOB_BODY_BYTES."
    })),
    HttpApiEndpoint.post("estimate", "/batches/estimate", {
      payload: [
        JobRequest,
        HttpApiSchema.StreamNdjson({ schema: QuestionItem, contentType: ["application/jsonl", "application/x-ndjson"] })
      ],
      success: JobEstimate,
      error: bodyErrors
    }).annotateMerge(OpenApi.annotations({
      summary: "Estimate a job's tokens, cost and time without running it",
      description: "The same body as `POST /batches`, checked the same way (400 naming the question or line), " +
        "answered without calling any model: prompt tokens (exact with an OpenAI model's own tokenizer, else " +
        "approximate), the max_tokens ceiling, cost ranges and ETAs per lane, dependency waves, and whether a " +
        "max_cost_usd is already exceeded by the prompts alone. Nothing is stored."
    })),
    HttpApiEndpoint.get("listJobs", "/batches", {
      query: {
        limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 })).annotate({
          description: "How many jobs, newest first (default 20)"
        }))
      },
      success: JobList,
      error: InternalError
    }).annotateMerge(OpenApi.annotations({ summary: "This API key's jobs, newest first" })),
    HttpApiEndpoint.get("getJob", "/batches/:id", { params: jobParams, success: Job, error: jobErrors })
      .annotateMerge(OpenApi.annotations({ summary: "A job's status, counts, usage and cost" })),
    HttpApiEndpoint.get("jobResults", "/batches/:id/results", {
      params: jobParams,
      query: {
        follow: Schema.optionalKey(Schema.Boolean.annotate({
          description: "`true` keeps the stream open, one line per result as it finishes, until the job ends"
        })),
        format: Schema.optionalKey(Schema.Literals(["ndjson", "csv"]).annotate({
          description: "`csv`: the results stored now as one CSV table by index (`index`, `meta_<key>`, `status`, " +
            "the answer — a structured answer's fields as `answer_<field>` —, `error_message`, `model`, `cost_usd`); " +
            "not with `follow`"
        }))
      },
      success: HttpApiSchema.StreamNdjson({ schema: ResultItem }),
      error: jobErrors
    }).annotateMerge(OpenApi.annotations({
      summary: "A job's results as NDJSON, in finishing order",
      description: "One `ResultItem` per line for every finished question, read from storage as it is sent."
    })),
    HttpApiEndpoint.get("jobQuestions", "/batches/:id/questions", {
      params: jobParams,
      success: HttpApiSchema.StreamNdjson({ schema: QuestionItem }),
      error: jobErrors
    }).annotateMerge(OpenApi.annotations({
      summary: "A job's questions as NDJSON, in the order submitted",
      description: "One `QuestionItem` per line, as stored (defaults filled in), read from storage as it is " +
        "sent: with the results, what a viewer needs to draw the job's dependency graph."
    })),
    HttpApiEndpoint.post("cancelJob", "/batches/:id/cancel", { params: jobParams, success: Job, error: jobErrors })
      .annotateMerge(OpenApi.annotations({
        summary: "Cancel a job",
        description: "Unfinished questions are not sent (or are interrupted) and end as errors `cancelled`. " +
          "Cancelling a finished job changes nothing."
      }))
  )
  // Authorization is the outer one: without a valid key, a 401 before any parameter is read.
  .middleware(ParameterErrors)
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({
    title: "Batch jobs",
    description: "Durable, asynchronous batches of up to MAX_JOB_SIZE questions: stored before they are " +
      "acknowledged, resumed after a restart. With API_KEYS, a job is visible only to the key that submitted it."
  }))
{}

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health, error: InternalError })
      .annotateMerge(OpenApi.annotations({
        summary: "Whether the service is up; its cache and auth mode with a valid key",
        description: "Open to all. With API_KEYS set, only a request with a valid key sees more than `status`."
      })),
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: MetricsText.pipe(HttpApiSchema.asText({ contentType: prometheusContentType })),
      error: [UnauthorizedResponse, InternalError]
    }).annotateMerge(OpenApi.annotations({
      summary: "Prometheus metrics: requests, questions, upstream calls and latency, tokens, cost, cache, jobs, rate limits",
      description: "With API_KEYS set, `Authorization: Bearer <key>` is needed unless METRICS_PUBLIC=true. " +
        "The series and their labels are listed in docs/observability.md."
    }))
  )
  .annotateMerge(OpenApi.annotations({ title: "System" }))
{}

export class Api extends HttpApi.make("llm-batch")
  .add(BatchGroup)
  .add(JobsGroup)
  .add(SystemGroup)
  .annotateMerge(OpenApi.annotations({
    title: "llm-batch",
    version: packageJson.version,
    description: packageJson.description +
      " MCP is served at `/mcp`, Effect RPC at `/rpc` and the web console at `/`."
  }))
{}
