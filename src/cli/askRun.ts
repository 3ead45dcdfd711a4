/**
 * What `llm-batch ask` runs, loaded only when it runs (ask.ts): the engine, its services and the
 * SDKs are not loaded by the other commands.
 */
import { Effect, Option, References, Stdio } from "effect"
import { runBatch } from "../batch/engine.ts"
import { AppConfig } from "../config/AppConfig.ts"
import type { ResultItem } from "../domain/Batch.ts"
import { ServicesLayer } from "../services.ts"
import { BadInputError, invalidSetting, ItemsFailedError } from "./errors.ts"
import { describeForInput, type InputFormat, type ParsedInput, parseInput, readInputText, writeTo } from "./input.ts"
import { makeProgress } from "./progress.ts"
import { type SettingValues, settingsLayer } from "./settings.ts"

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

export const run = Effect.fnUntraced(function*(options: {
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
