/**
 * `llm-batch ask FILE|-`: runs one batch in-process (no server) and prints the results on stdout.
 * A thin adapter over `parseInput` and `runBatch` (askRun.ts): progress goes to stderr, results to
 * stdout, and the exit code says whether every item succeeded (0), some failed (1) or the input was
 * bad (2).
 */
import { Effect, type Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { interruptOnSignal } from "../launch.ts"
import type { InputFormat } from "./input.ts"
import { askSettings, settingFlags, type SettingValues } from "./settings.ts"

/** Loaded when `ask` runs: the other commands start without the engine's modules. */
const run = (options: { readonly file: string; readonly output: Option.Option<InputFormat>; readonly settings: SettingValues }) =>
  Effect.flatMap(Effect.promise(() => import("./askRun.ts")), (askRun) => askRun.run(options))

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
