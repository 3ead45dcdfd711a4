/**
 * `llm-batch run DATA --template … --out OUT`: a CSV, JSONL or Parquet file's rows as one durable
 * job in a running service, joined back to their results in OUT (the command line; the program,
 * loaded only when it runs, is in datasets/runProgram.ts).
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Lane } from "../domain/Lane.ts"
import { maxMetaChars } from "../domain/Batch.ts"
import { interruptOnSignal } from "../launch.ts"
import { service } from "./jobs.ts"

const program = Effect.promise(() => import("./datasets/runProgram.ts"))

export const run = Command.make(
  "run",
  {
    file: Argument.String("file").pipe(
      Argument.withMetavar("DATA"),
      Argument.withDescription("a .csv (with a header row), .jsonl (one object per line) or .parquet file")
    ),
    template: Flag.String("template").pipe(
      Flag.withMetavar("TEXT"),
      Flag.withDescription("the question for each row: {{column}} is the row's value (`{Q<n>_result}` keeps its meaning)")
    ),
    out: Flag.String("out").pipe(
      Flag.withMetavar("OUT"),
      Flag.withDescription(
        "results.csv|.jsonl|.parquet: the input's columns + status, the answer (a structured answer's fields as " +
          "answer_<field>), error_message, model, cost_usd, in input order. The job's id is kept in OUT.job: the same " +
          "command again resumes that job; delete OUT.job to start a new one"
      )
    ),
    idColumn: Flag.String("id-column").pipe(
      Flag.optional,
      Flag.withMetavar("COLUMN"),
      Flag.withDescription(`the column whose value is each question's meta.id (default: the row's number; at most ${maxMetaChars} characters)`)
    ),
    model: Flag.String("model").pipe(Flag.optional, Flag.withMetavar("PROVIDER/MODEL"), Flag.withDescription("the model to ask")),
    responseModel: Flag.String("response-model").pipe(
      Flag.optional,
      Flag.withMetavar("NAME"),
      Flag.withDescription("a response schema registered in the service: answers are validated against it")
    ),
    responseSchema: Flag.String("response-schema").pipe(
      Flag.optional,
      Flag.withMetavar("JSON|FILE"),
      Flag.withDescription("an inline JSON Schema (or a file holding one) the answers must match")
    ),
    lane: Flag.Literals("lane", Lane.literals).pipe(
      Flag.optional,
      Flag.withMetavar("LANE"),
      Flag.withDescription("sync (default), batch (the providers' batch APIs: half price, hours) or auto")
    ),
    maxCostUsd: Flag.Finite("max-cost-usd").pipe(
      Flag.optional,
      Flag.withMetavar("USD"),
      Flag.withDescription("the job's budget: once spent, rows not yet sent end as errors")
    ),
    ...service
  },
  ({ apiKey, url, ...options }) =>
    interruptOnSignal(Effect.flatMap(program, (p) => p.run({ ...options, service: { url, apiKey } })))
).pipe(
  Command.withShortDescription("Run a question per row of a CSV, JSONL or Parquet file; write the results joined back"),
  Command.withDescription(
    "Submit one question per row as a durable job to a running service, follow it (progress on stderr) and write " +
      "OUT with each input row and its result, in input order. A row the template cannot fill (a column missing) is " +
      "reported with its line and not sent; the other rows run. Exit code 0 when every row succeeded, 1 when any " +
      "failed, 2 for bad input, 3 when the service cannot be reached or fails."
  ),
  Command.withExamples([
    {
      command: "llm-batch run reviews.csv --template 'Classify this review: {{text}}' --out labelled.csv",
      description: "One question per row; labelled.csv has every column of reviews.csv plus the answers"
    }
  ])
)
