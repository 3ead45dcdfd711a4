/**
 * `llm-batch ask FILE|-`: runs one batch in-process (no server) and prints the results on stdout.
 * A thin adapter over `parseInput` and `runBatch`: progress goes to stderr, results to stdout,
 * and the exit code says whether every item succeeded (0), some failed (1) or the input was bad (2).
 */
import { Effect, Option, References, Stdio } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ServicesLayer } from "../services.ts"
import { runBatch } from "../batch/engine.ts"
import { interruptOnSignal } from "../launch.ts"
import { AppConfig } from "../config/AppConfig.ts"
import type { ResultItem } from "../domain/Batch.ts"
import { BadInputError, invalidSetting, ItemsFailedError } from "./errors.ts"
import { describeForInput, type InputFormat, type ParsedInput, parseInput, readInputText, writeTo } from "./input.ts"
import { makeProgress } from "./progress.ts"
import { askSettings, settingFlags, type SettingValues, settingsLayer } from "./settings.ts"

/** Runs a parsed batch; needs the engine's services, which are built only once the input is good. */
const runParsed = Effect.fnUntraced(function*(input: ParsedInput, output: InputFormat) {
  const stdio = yield* Stdio.Stdio
  const config = yield* AppConfig
  // A closed stdout (EPIPE) means the results cannot be delivered: that is a crash, not bad input.
  const print = (value: string) => writeTo(stdio.stdout(), value).pipe(Effect.orDie)
  // Progress is best effort: a closed stderr must not fail the batch.
  const progress = makeProgress({
    total: input.request.questions.length,
    tty: yield* stdio.stderrIsTerminal,
    write: (value) => writeTo(stdio.stderr(), value).pipe(Effect.ignore)
  })

  yield* progress.start
  // JSONL streams each result as it finishes, so a pipeline can start on early answers.
  const onResult = (result: ResultItem) =>
    output === "jsonl"
      ? Effect.andThen(progress.onResult(result), print(`${JSON.stringify(result)}\n`))
      : progress.onResult(result)
  const response = yield* runBatch(input.request, { onResult, alone: true }).pipe(
    Effect.provideService(References.MinimumLogLevel, config.logLevel),
    Effect.mapError((error) => new BadInputError({ message: `not a valid batch: ${describeForInput(input, error.message)}` }))
  )
  yield* progress.finish
  if (output === "json") yield* print(`${JSON.stringify(response, null, 2)}\n`)

  const failed = response.results.filter((result) => result.status === "error").length
  if (failed > 0) return yield* new ItemsFailedError({ failed, total: response.results.length })
})

const run = Effect.fnUntraced(function*(options: {
  readonly file: string
  readonly output: Option.Option<InputFormat>
  readonly settings: SettingValues
}) {
  const text = yield* readInputText(options.file)
  const input = yield* parseInput(options.file === "-" ? "stdin" : options.file, text)
  return yield* runParsed(input, Option.getOrElse(options.output, () => input.format)).pipe(
    Effect.provide(ServicesLayer),
    Effect.provide(settingsLayer(options.settings)),
    Effect.catchTag("ConfigError", (error) => Effect.fail(invalidSetting(error)))
  )
})

export const ask = Command.make(
  "ask",
  {
    file: Argument.String("file").pipe(
      Argument.withMetavar("FILE|-"),
      Argument.withDescription("a BatchRequest JSON file, or JSONL with one QuestionItem per line; - reads stdin")
    ),
    output: Flag.Literals("output", ["json", "jsonl"]).pipe(
      Flag.withAlias("o"),
      Flag.withDescription(
        "json: one {\"results\": [...]} document at the end; jsonl: one result per line as each finishes " +
          "(default: the input's format)"
      ),
      Flag.optional
    ),
    settings: settingFlags(askSettings)
  },
  // Not a server: Ctrl-C (or SIGTERM) interrupts the batch, and the exit code is 130.
  (options) => interruptOnSignal(run(options))
).pipe(
  Command.withShortDescription("Run one batch from a file or stdin; results on stdout"),
  Command.withDescription(
    "Run one batch in this process and print the results on stdout (progress on stderr). " +
      "Exit code 0 when every question succeeded, 1 when any failed, 2 on bad input."
  ),
  Command.withExamples([
    { command: "llm-batch ask questions.json", description: "Run a BatchRequest file; print {\"results\": [...]}" },
    { command: "llm-batch ask - < questions.jsonl > results.jsonl", description: "JSONL in, one result per line out" },
    {
      command: "echo '{\"index\": 1, \"question\": \"2 + 2?\"}' | llm-batch ask - --default-model anthropic/claude-3-5-haiku-latest",
      description: "One question from stdin, another default model"
    }
  ])
)
