/**
 * The MCP tools `batch_ask` and `ask`: thin adapters over `runBatch`. Input and output schemas are
 * derived from the domain Schemas; arguments are decoded with the same rules and messages as
 * POST /ask, so a model sees `questions[2].temperature: …` and can fix its call.
 */
import { Effect, Predicate, type Schema, Struct } from "effect"
import { McpSchema, McpServer, Tool, Toolkit } from "effect/ai"
import { runBatch } from "../batch/engine.ts"
import type { BatchServices } from "../batch/stream.ts"
import { BatchRequest, BatchResponse, QuestionItem, ResultItem } from "../domain/Batch.ts"
import { decodeBatchRequest, decodeWith } from "../domain/decode.ts"
import { InvalidBatchError } from "../domain/Errors.ts"
import { fieldNames, fieldsHelp, inputJsonSchema } from "./fieldHelp.ts"
import { JobOwner } from "./jobTools.ts"

/** `ask` takes one question with every optional field of a batch item; it has no `index`. */
export const AskArguments = QuestionItem.mapFields(Struct.omit(["index"]))

const resultHelp = (subject: string) =>
  `${subject} ${fieldNames(ResultItem)}. \`result\` is text, or an object when a schema validated it; ` +
  "`error_message` says what failed and what to do. A failed question does not fail the call; read each `status`."

const batchAskDescription = "Send several questions to LLMs in one call and get all answers back, sorted by " +
  "`index`. Use it to fan out many independent prompts at once (they run concurrently), to compare models " +
  "(one question per model), or to run a chain where later prompts use earlier answers. For one " +
  "question, use `ask`; for a batch too big or too long to wait for in one call, `batch_submit` (a durable job).\n\n" +
  "Dependencies: write `{Q<n>_result}` in a question to insert the answer of question n (text as is, objects " +
  "as JSON; `{Q<n>_result.field}` inserts one field of a structured answer) — that question then waits for n. " +
  "If a question fails, the questions that depend on it are not sent and report why.\n\n" +
  `Fields of each item of \`questions\`:\n${fieldsHelp(QuestionItem)}\n\n` +
  `${resultHelp("Each result has")} A malformed batch (duplicate index, a placeholder naming a missing ` +
  "index, a dependency cycle, an unknown field) fails the whole call with an error naming the field to fix. " +
  "Progress is reported once per finished question when the client asks for it."

const askDescription = "Ask an LLM one question and get its answer. Use `batch_ask` instead for several " +
  "questions, for comparing models or for chains that reuse earlier answers.\n\n" +
  `Fields:\n${fieldsHelp(AskArguments)}\n\n${resultHelp("The result has")}`

/** A read-only tool that reaches out to LLMs, with `parameters` advertised as JSON Schema. */
const batchTool = <const Name extends string, Success extends Schema.Constraint>(name: Name, options: {
  readonly title: string
  readonly description: string
  readonly parameters: Schema.Top
  readonly success: Success
}) =>
  Tool.dynamic(name, {
    description: options.description,
    parameters: inputJsonSchema(options.parameters),
    success: options.success,
    failure: InvalidBatchError
  })
    .annotate(Tool.Title, options.title)
    .annotate(Tool.Readonly, true)
    .annotate(Tool.OpenWorld, true)
    .addDependency(McpSchema.McpRequestContext)
    // Whose turn at the upstream slots a call takes: the transport's caller, as for jobs.
    .addDependency(JobOwner)

export const BatchAskTool = batchTool("batch_ask", {
  title: "Ask LLMs a batch of questions",
  description: batchAskDescription,
  parameters: BatchRequest,
  success: BatchResponse
})

export const AskTool = batchTool("ask", {
  title: "Ask an LLM one question",
  description: askDescription,
  parameters: AskArguments,
  success: ResultItem
})

export const LlmBatchToolkit = Toolkit.make(BatchAskTool, AskTool)

const decodeAskArguments = decodeWith(AskArguments, "arguments")

/**
 * One progress notification per finished question, when the caller sent a progress token; a
 * no-op otherwise. Long batches then keep the client's request timeout from firing.
 */
const progressReporter = Effect.fnUntraced(function*(total: number) {
  const server = yield* McpServer.McpServer
  const request = yield* McpSchema.McpRequestContext
  const token = Predicate.hasProperty(request.requestMetadata, "progressToken")
    ? request.requestMetadata.progressToken
    : undefined
  let finished = 0
  return (result: ResultItem): Effect.Effect<void> =>
    typeof token === "string" || typeof token === "number"
      ? server.notifications["notifications/progress"]({
        progressToken: token,
        progress: ++finished,
        total,
        message: `question ${result.index}: ${result.status}`
      }).pipe(Effect.ignore)
      : Effect.void
})

export const LlmBatchToolkitHandlers = LlmBatchToolkit.toLayer(Effect.gen(function*() {
  // Handlers may only ask for per-request services, so the engine's are captured once here.
  const services = yield* Effect.context<BatchServices | McpServer.McpServer>()
  const runAs = Effect.fnUntraced(function*(batch: BatchRequest, caller: string) {
    const onResult = yield* progressReporter(batch.questions.length)
    return yield* runBatch(batch, { onResult, caller })
  }, Effect.provideContext(services))
  // Read here: `runAs` runs in the engine's services only.
  const runWithProgress = (batch: BatchRequest) => Effect.flatMap(JobOwner, (caller) => runAs(batch, caller))
  return LlmBatchToolkit.of({
    batch_ask: (input) => decodeBatchRequest(input).pipe(Effect.flatMap(runWithProgress)),
    ask: (input) =>
      decodeAskArguments(input).pipe(
        Effect.flatMap((question) => runWithProgress({ questions: [{ ...question, index: 1 }] })),
        Effect.map((response) => response.results[0]!)
      )
  })
}))
