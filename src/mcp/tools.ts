/**
 * The MCP tools `batch_ask` and `ask`: thin adapters over `runBatch`. Input and output schemas are
 * derived from the domain Schemas; arguments are decoded with the same rules and messages as
 * POST /ask, so a model sees `questions[2].temperature: …` and can fix its call.
 */
import { Cause, Effect, Exit, Predicate, Schema, Struct } from "effect"
import { McpSchema, McpServer, Tool, Toolkit } from "effect/ai"
import { runBatch } from "../batch/engine.ts"
import type { BatchServices } from "../batch/stream.ts"
import { BatchRequest, BatchResponse, QuestionItem, ResultItem } from "../domain/Batch.ts"
import { decodeBatchRequest, formatIssue } from "../domain/decode.ts"
import { InvalidBatchError } from "../domain/Errors.ts"

/** `ask` takes one question with every optional field of a batch item; it has no `index`. */
export const AskArguments = QuestionItem.mapFields(Struct.omit(["index"]))

/** The JSON Schema a client sees; unknown fields are rejected, so it says `additionalProperties: false`. */
const inputJsonSchema = (schema: Schema.Top) => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  return Object.keys(document.definitions).length === 0
    ? document.schema
    : { ...document.schema, $defs: document.definitions }
}

const fieldsHelp = "Optional fields: `model` (`provider/model`, e.g. `openai/gpt-4o-mini`, " +
  "`anthropic/claude-sonnet-4-5`, `gemini/gemini-2.5-flash`, `ollama/llama3.2`, `perplexity/sonar`; " +
  "the service's default model when omitted), `system` (system prompt), `temperature` (0–2, default 0.2), " +
  "`max_tokens` (default 1000), `top_p`, `stop`, `seed`, `cache` (false to skip the answer cache). " +
  "Structured answers: `validation_strategy` is `schema` (alias `pydantic`, the default: the answer must " +
  "match `response_schema`, an inline JSON Schema, or `response_model`, a schema registered in the service; " +
  "without either the answer is plain text), `json` (any valid JSON) or `none` (raw text). An answer that " +
  "does not validate is sent back to the model with the error, up to `max_validation_retries` times."

const resultHelp = "Each result has `status` (`success` or `error`), `result` (text, or an object when a " +
  "schema validated it), `error_message` (what failed and what to do), `model`, `attempts`, `latency_ms`, " +
  "`usage` and `cached`. A failed question does not fail the call; read each `status`."

const batchAskDescription = "Send several questions to LLMs in one call and get all answers back, sorted by " +
  "`index`. Use it to fan out many independent prompts at once (they run concurrently), to compare models " +
  "(one question per model), or to run a chain where later prompts use earlier answers. For one " +
  "question, use `ask`.\n\n" +
  "Each item needs a unique integer `index` and a `question`. Dependencies: write `{Q<n>_result}` in a " +
  "question to insert the answer of question n (text as is, objects as JSON; `{Q<n>_result.field}` inserts " +
  "one field of a structured answer) — that question then waits for n. `method: \"sequential\"` makes an " +
  "item wait for the previous sequential item in the list; the default `concurrent` items start at once. " +
  "If a question fails, the questions that depend on it are not sent and report why.\n\n" +
  `${fieldsHelp}\n\n${resultHelp} A malformed batch (duplicate index, a placeholder naming a missing ` +
  "index, a dependency cycle, an unknown field) fails the whole call with an error naming the field to fix. " +
  "Progress is reported once per finished question when the client asks for it."

const askDescription = "Ask an LLM one question and get its answer. Use `batch_ask` instead for several " +
  "questions, for comparing models or for chains that reuse earlier answers.\n\n" +
  `Required: \`question\`. ${fieldsHelp}\n\n${resultHelp.replace("Each result has", "The result has")}`

export const BatchAskTool = Tool.dynamic("batch_ask", {
  description: batchAskDescription,
  parameters: inputJsonSchema(BatchRequest),
  success: BatchResponse,
  failure: InvalidBatchError
})
  .annotate(Tool.Title, "Ask LLMs a batch of questions")
  .annotate(Tool.Readonly, true)
  .annotate(Tool.OpenWorld, true)
  .addDependency(McpSchema.McpRequestContext)

export const AskTool = Tool.dynamic("ask", {
  description: askDescription,
  parameters: inputJsonSchema(AskArguments),
  success: ResultItem,
  failure: InvalidBatchError
})
  .annotate(Tool.Title, "Ask an LLM one question")
  .annotate(Tool.Readonly, true)
  .annotate(Tool.OpenWorld, true)
  .addDependency(McpSchema.McpRequestContext)

export const LlmBatchToolkit = Toolkit.make(BatchAskTool, AskTool)

const decodeAsk = Schema.decodeUnknownExit(AskArguments, { onExcessProperty: "error", errors: "all" })

const decodeAskArguments = (input: unknown): Effect.Effect<typeof AskArguments.Type, InvalidBatchError> => {
  const exit = decodeAsk(input)
  if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
  const error = Cause.squash(exit.cause)
  return Effect.fail(
    new InvalidBatchError({
      message: Schema.isSchemaError(error) ? formatIssue(error.issue).replace(/^body:/, "arguments:") : String(error)
    })
  )
}

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
  const runWithProgress = Effect.fnUntraced(function*(batch: BatchRequest) {
    const onResult = yield* progressReporter(batch.questions.length)
    return yield* runBatch(batch, { onResult })
  }, Effect.provideContext(services))
  return LlmBatchToolkit.of({
    batch_ask: (input) => decodeBatchRequest(input).pipe(Effect.flatMap(runWithProgress)),
    ask: (input) =>
      decodeAskArguments(input).pipe(
        Effect.flatMap((question) => runWithProgress({ questions: [{ ...question, index: 1 }] })),
        Effect.map((response) => response.results[0]!)
      )
  })
}))
