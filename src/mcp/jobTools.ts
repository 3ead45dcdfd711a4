/**
 * The MCP tools of durable batch jobs — `batch_estimate`, `batch_submit`, `batch_status`,
 * `batch_results` (paged), `batch_cancel` — thin adapters over `Jobs`. A job belongs to the caller's key (`JobOwner`):
 * over HTTP the middleware of http.ts reads it from the request, over stdio there is none ("").
 */
import { Context, Effect, Layer, Schema } from "effect"
import { McpServer, Tool, Toolkit } from "effect/ai"
import { QuestionItem } from "../domain/Batch.ts"
import { decodeWith } from "../domain/decode.ts"
import { InvalidBatchError } from "../domain/Errors.ts"
import { JobEstimate } from "../domain/Estimate.ts"
import { Job, JobNotFoundError, JobRequest, JobResultsPage } from "../domain/Job.ts"
import { Jobs } from "../jobs/Jobs.ts"
import { fieldsHelp, inputJsonSchema } from "./fieldHelp.ts"

/**
 * Who calls a tool, from the transport only: the digest of the HTTP request's key, "" without
 * API_KEYS (and over stdio). Whose jobs a call sees, and whose fair share of slots it uses.
 */
export class JobOwner extends Context.Service<JobOwner, string>()("llm-batch/mcp/JobOwner") {}

/** stdio: the host that launched the server is its only user. */
export const NoJobOwner = McpServer.middleware<{ provides: JobOwner }>()((effect) =>
  Effect.provideService(effect, JobOwner, "")
)

const JobId = Schema.String.annotate({ description: "The job's id, `batch_…`, as `batch_submit` returned it" })

export const JobArguments = Schema.Struct({ id: JobId })

export const defaultPageSize = 100

export const ResultsPageArguments = Schema.Struct({
  id: JobId,
  offset: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
    description: "Where the page starts: 0, then the `next_offset` of the previous page; default `0`"
  })),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 })).annotate({
    description: `Results per page; default \`${defaultPageSize}\``
  }))
})

const jobHelp = "The job has `id`, `status` (queued, running, completed, cancelling, cancelled, failed), `counts` " +
  "(total, succeeded, failed, pending), `usage`, `cost_usd`, `metadata`, `lane` and `provider_batches` (on the batch " +
  "lane: each provider batch's `provider`, `id`, `wave`, `status`, `requests`, `succeeded`, `failed`)."

const submitDescription = "Store a batch of questions as a durable job and start it; answers at once with the " +
  "job. Use it instead of `batch_ask` for work too big or too long for one call (up to MAX_JOB_SIZE questions): " +
  "the job runs in the service, survives restarts, and its results are read later with `batch_results`. " +
  "Questions take the same fields and `{Q<n>_result}` dependencies as `batch_ask`.\n\n" +
  `Fields of the job:\n${fieldsHelp(JobRequest)}\n\n` +
  `Fields of each item of \`questions\`:\n${fieldsHelp(QuestionItem)}\n\n` +
  `${jobHelp} A malformed batch fails the call with an error naming the field to fix.`

const estimateDescription = "Estimate a batch job before submitting it, without calling any model: the number " +
  "of questions, prompt tokens (`exact` with an OpenAI model's own tokenizer, else `approximate`) as a min/max " +
  "range (`{Q<n>_result}` placeholders empty or full), the max_tokens ceiling, `cost_usd` ranges for the `sync` " +
  "and `batch` lanes (null with the models named in `unpriced_models` when a price is unknown), dependency " +
  "`waves`, an `eta` per lane in seconds with what bounds it, per-model details, and `budget.exceeded` when " +
  "`max_cost_usd` is below what the prompts alone cost (`batch_submit` then refuses the job). Takes exactly " +
  "`batch_submit`'s arguments; nothing is stored or sent."

const statusDescription = `Read a batch job's progress: ${jobHelp} Poll it until \`status\` is completed, ` +
  "cancelled or failed, then read the answers with `batch_results`."

const resultsDescription = "Read a page of a batch job's results, in the order the questions finished: " +
  "`results` (each with `index`, `status`, `result`, `error_message`, …) and `next_offset`, where the next page " +
  "starts. While the job runs, call again from `next_offset` for the questions finished since; `next_offset` " +
  "is null once every result of a finished job has been read."

const cancelDescription = "Cancel a batch job: its unfinished questions are not sent (those in flight are " +
  `interrupted) and end as errors \`cancelled\`; answers already received are kept. ${jobHelp} Cancelling a ` +
  "finished job changes nothing."

/** A job tool: `parameters` advertised as JSON Schema, decoded with the service's own messages. */
const jobTool = <const Name extends string, Success extends Schema.Constraint>(name: Name, options: {
  readonly title: string
  readonly description: string
  readonly parameters: Schema.Top
  readonly success: Success
  readonly readonly: boolean
  readonly destructive: boolean
  readonly idempotent: boolean
  readonly openWorld: boolean
}) =>
  Tool.dynamic(name, {
    description: options.description,
    parameters: inputJsonSchema(options.parameters),
    success: options.success,
    failure: Schema.Union([InvalidBatchError, JobNotFoundError])
  })
    .annotate(Tool.Title, options.title)
    .annotate(Tool.Readonly, options.readonly)
    .annotate(Tool.Destructive, options.destructive)
    .annotate(Tool.Idempotent, options.idempotent)
    .annotate(Tool.OpenWorld, options.openWorld)
    .addDependency(JobOwner)

// Submitting starts LLM calls (open world) and adds a job; reading changes nothing; cancelling ends
// work that cannot be resumed, but a second cancel changes nothing more.
export const BatchSubmitTool = jobTool("batch_submit", {
  title: "Submit a batch job",
  description: submitDescription,
  parameters: JobRequest,
  success: Job,
  readonly: false,
  destructive: false,
  idempotent: false,
  openWorld: true
})

export const BatchEstimateTool = jobTool("batch_estimate", {
  title: "Estimate a batch job",
  description: estimateDescription,
  parameters: JobRequest,
  success: JobEstimate,
  readonly: true,
  destructive: false,
  idempotent: true,
  openWorld: false
})

export const BatchStatusTool = jobTool("batch_status", {
  title: "Read a batch job's status",
  description: statusDescription,
  parameters: JobArguments,
  success: Job,
  readonly: true,
  destructive: false,
  idempotent: true,
  openWorld: false
})

export const BatchResultsTool = jobTool("batch_results", {
  title: "Read a page of a batch job's results",
  description: resultsDescription,
  parameters: ResultsPageArguments,
  success: JobResultsPage,
  readonly: true,
  destructive: false,
  idempotent: true,
  openWorld: false
})

export const BatchCancelTool = jobTool("batch_cancel", {
  title: "Cancel a batch job",
  description: cancelDescription,
  parameters: JobArguments,
  success: Job,
  readonly: false,
  destructive: true,
  idempotent: true,
  openWorld: false
})

export const JobToolkit = Toolkit.make(BatchEstimateTool, BatchSubmitTool, BatchStatusTool, BatchResultsTool, BatchCancelTool)

const decodeSubmit = decodeWith(JobRequest, "arguments")
const decodeJob = decodeWith(JobArguments, "arguments")
const decodePage = decodeWith(ResultsPageArguments, "arguments")

export const JobToolkitHandlers = JobToolkit.toLayer(Effect.gen(function*() {
  const jobs = yield* Jobs
  return JobToolkit.of({
    batch_estimate: (input) => Effect.flatMap(decodeSubmit(input), jobs.estimate),
    batch_submit: (input) =>
      Effect.flatMap(decodeSubmit(input), (request) =>
        Effect.flatMap(JobOwner, (owner) => jobs.submit(request, owner))),
    batch_status: (input) =>
      Effect.flatMap(decodeJob(input), ({ id }) => Effect.flatMap(JobOwner, (owner) => jobs.get(id, owner))),
    batch_results: (input) =>
      Effect.flatMap(decodePage(input), ({ id, limit, offset }) =>
        Effect.flatMap(JobOwner, (owner) =>
          jobs.resultsPage(id, owner, { offset: offset ?? 0, limit: limit ?? defaultPageSize }))),
    batch_cancel: (input) =>
      Effect.flatMap(decodeJob(input), ({ id }) => Effect.flatMap(JobOwner, (owner) => jobs.cancel(id, owner)))
  })
}))

/** The job tools, with `owner` (a middleware providing `JobOwner`) for the transport they serve. */
export const jobRegistrations = <E, R>(
  owner: Layer.Layer<McpServer.McpRequest.From<"Requires", JobOwner>, E, R>
) => McpServer.toolkit(JobToolkit).pipe(Layer.provide(owner), Layer.provide(JobToolkitHandlers))
