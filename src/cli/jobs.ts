/**
 * `llm-batch estimate|submit|status|results|cancel|jobs`: durable batch jobs, as clients of a running
 * service (`--url`/LLM_BATCH_URL, `--api-key`/LLM_BATCH_API_KEY). The programs (and the HTTP
 * client they need) are loaded only when one of these commands runs.
 */
import { Config, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Lane } from "../domain/Lane.ts"
import { interruptOnSignal } from "../launch.ts"

const defaultUrl = "http://127.0.0.1:8000"

const programs = Effect.promise(() => import("./jobPrograms.ts"))

/** Every job command's connection flags. */
export const service = {
  url: Flag.String("url").pipe(
    Flag.withFallbackConfig(Config.String("LLM_BATCH_URL")),
    Flag.withDefault(defaultUrl),
    Flag.withMetavar("URL"),
    Flag.withDescription(`the running llm-batch service (LLM_BATCH_URL, default ${defaultUrl})`)
  ),
  apiKey: Flag.Redacted("api-key").pipe(
    Flag.withFallbackConfig(Config.Redacted("LLM_BATCH_API_KEY")),
    Flag.optional,
    Flag.withMetavar("KEY"),
    Flag.withDescription(
      "one of the service's API_KEYS (LLM_BATCH_API_KEY; prefer the variable: other users can see argv)"
    )
  )
}

const jobId = Argument.String("id").pipe(Argument.withMetavar("ID"), Argument.withDescription("the job's id, batch_…"))

const exitCodes = "Exit code 0 on success, 2 for bad input, an unknown job or a refused key, 3 when the service " +
  "cannot be reached or fails."

const jobFile = Argument.String("file").pipe(
  Argument.withMetavar("FILE|-"),
  Argument.withDescription(
    "a JobRequest JSON file ({\"questions\": [...], \"metadata\"?: {...}, \"lane\"?: ...}), or JSONL with one " +
      "QuestionItem per line; - reads stdin"
  )
)

const laneFlag = Flag.Literals("lane", Lane.literals).pipe(
  Flag.optional,
  Flag.withMetavar("LANE"),
  Flag.withDescription(
    "sync (the providers' ordinary APIs, the default), batch (their batch APIs: half price, hours of latency) or " +
      "auto (batch where the question's provider has one); overrides the file's \"lane\""
  )
)

export const estimate = Command.make(
  "estimate",
  { file: jobFile, lane: laneFlag, ...service },
  ({ apiKey, file, lane, url }) => Effect.flatMap(programs, (run) => run.estimate({ file, lane, service: { url, apiKey } }))
).pipe(
  Command.withShortDescription("Estimate a job's tokens, cost and time without running it"),
  Command.withDescription(
    "Send the job to the running service's POST /batches/estimate and print the estimate (JSON) on stdout, with a " +
      "summary on stderr: prompt tokens (exact or approximate), cost ranges and ETAs for the sync and batch lanes, " +
      `dependency waves, and whether max_cost_usd is already exceeded. Nothing is stored or sent. ${exitCodes}`
  ),
  Command.withExamples([
    { command: "llm-batch estimate questions.jsonl", description: "What the job would cost and take on each lane" },
    { command: "llm-batch estimate questions.jsonl --lane batch", description: "With its budget checked on the batch lane" }
  ])
)

export const submit = Command.make(
  "submit",
  {
    file: jobFile,
    wait: Flag.Boolean("wait").pipe(
      Flag.withDefault(false),
      Flag.withDescription("follow the job: a progress bar on stderr, each result on stdout (NDJSON) as it finishes")
    ),
    lane: laneFlag,
    ...service
  },
  // Ctrl-C stops following (exit 130); the job goes on in the service.
  ({ apiKey, file, lane, url, wait }) =>
    interruptOnSignal(Effect.flatMap(programs, (run) => run.submit({ file, wait, lane, service: { url, apiKey } })))
).pipe(
  Command.withShortDescription("Submit a batch as a durable job to a running service"),
  Command.withDescription(
    "Store a batch as a job in the running service and print the Job (JSON) on stdout. The job survives " +
      "restarts of the service; follow it with --wait, or later with status and results. With --wait, exit " +
      `code 1 when any question failed. ${exitCodes}`
  ),
  Command.withExamples([
    { command: "llm-batch submit questions.jsonl", description: "Submit; print the Job with its id" },
    {
      command: "llm-batch submit questions.jsonl --wait > results.jsonl",
      description: "Submit and wait for every result"
    },
    { command: "llm-batch submit questions.jsonl --lane batch", description: "Submit on the providers' batch APIs" }
  ])
)

export const status = Command.make(
  "status",
  { id: jobId, ...service },
  ({ apiKey, id, url }) => Effect.flatMap(programs, (run) => run.status({ id, service: { url, apiKey } }))
).pipe(
  Command.withShortDescription("Print a job's status, counts, usage and cost"),
  Command.withDescription(`Print the Job (JSON) on stdout. ${exitCodes}`)
)

export const results = Command.make(
  "results",
  {
    id: jobId,
    follow: Flag.Boolean("follow").pipe(
      Flag.withDefault(false),
      Flag.withDescription("keep reading until the job has ended, each result as it finishes")
    ),
    ...service
  },
  ({ apiKey, follow, id, url }) =>
    interruptOnSignal(Effect.flatMap(programs, (run) => run.results({ id, follow, service: { url, apiKey } })))
).pipe(
  Command.withShortDescription("Print a job's results as NDJSON, in finishing order"),
  Command.withDescription(`One ResultItem per line on stdout for every finished question. ${exitCodes}`),
  Command.withExamples([
    { command: "llm-batch results batch_123 --follow > results.jsonl", description: "Every result, until the job ends" }
  ])
)

export const cancel = Command.make(
  "cancel",
  { id: jobId, ...service },
  ({ apiKey, id, url }) => Effect.flatMap(programs, (run) => run.cancel({ id, service: { url, apiKey } }))
).pipe(
  Command.withShortDescription("Cancel a job: its unfinished questions end as errors `cancelled`"),
  Command.withDescription(`Cancel the job and print it (JSON) on stdout. ${exitCodes}`)
)

export const jobs = Command.make(
  "jobs",
  {
    limit: Flag.Int("limit").pipe(
      Flag.withDefault(20),
      Flag.withMetavar("N"),
      Flag.withDescription("how many jobs (1–1000, default 20)")
    ),
    ...service
  },
  ({ apiKey, limit, url }) => Effect.flatMap(programs, (run) => run.list({ limit, service: { url, apiKey } }))
).pipe(
  Command.withShortDescription("List your jobs, newest first"),
  Command.withDescription(`Print {"data": [Job, ...]} (JSON) on stdout, newest first. ${exitCodes}`)
)
