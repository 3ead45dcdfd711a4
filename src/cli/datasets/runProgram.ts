/**
 * `llm-batch run DATA --template … --out OUT`: the dataset's rows as a durable job in a running
 * service, followed to its end, and written back joined to their results in input order. The job's
 * id is kept in `<OUT>.job` as soon as the service accepts it: running the same command again
 * follows that job (and rewrites OUT) instead of submitting the rows again.
 */
import { Effect, Option, Stdio, Stream } from "effect"
import { constants, existsSync } from "node:fs"
import { access, readFile, writeFile } from "node:fs/promises"
import { resolve } from "node:path"
import { NotFound } from "../../domain/Http.ts"
import { finishedStatuses } from "../../domain/Job.ts"
import type { Lane } from "../../domain/Lane.ts"
import { answerColumns, type TableResult } from "../../domain/resultsTable.ts"
import { BadInputError, ItemsFailedError, ServiceError } from "../errors.ts"
import { writeTo } from "../input.ts"
import { makeProgress } from "../progress.ts"
import { explain, makeClient, type ServiceOptions } from "../service.ts"
import { joined, questionsOf, type QuestionShape, Scan } from "./dataset.ts"
import { type DatasetFormat, declaredColumns, formatOf } from "./rows.ts"
import { templateColumns } from "../../domain/template.ts"
import { uploadJob } from "./upload.ts"
import { writeOutput } from "./write.ts"

export interface RunOptions {
  readonly file: string
  readonly template: string
  readonly out: string
  readonly idColumn: Option.Option<string>
  readonly model: Option.Option<string>
  readonly responseModel: Option.Option<string>
  /** Inline JSON, or a file holding it. */
  readonly responseSchema: Option.Option<string>
  readonly lane: Option.Option<Lane>
  readonly maxCostUsd: Option.Option<number>
  readonly service: ServiceOptions
}

/** Non-terminal progress: a status line at most this often. */
const statusEveryMs = 10_000

const fileFormat = (path: string, flag: string) => {
  const format = formatOf(path)
  return format === undefined
    ? Effect.fail(new BadInputError({ message: `${flag} ${path}: name a .csv, .jsonl or .parquet file` }))
    : Effect.succeed(format)
}

const attempt = <A>(what: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => new BadInputError({ message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

const responseSchemaOf = (given: string) =>
  attempt(`--response-schema is neither JSON nor a readable JSON file`, async () => {
    const text = given.trimStart().startsWith("{") ? given : await readFile(given, "utf8")
    const value: unknown = JSON.parse(text)
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object")
    return value
  })

/** `<OUT>.job`: the job this output belongs to, and the input it was made from. */
interface Sidecar {
  readonly job_id: string
  readonly input: string
}

const readSidecar = (path: string) =>
  attempt(`${path} cannot be read (delete it to start a new job)`, async (): Promise<Sidecar | undefined> => {
    if (!existsSync(path)) return undefined
    const value: unknown = JSON.parse(await readFile(path, "utf8"))
    if (typeof value === "object" && value !== null && "job_id" in value && typeof value.job_id === "string" &&
      "input" in value && typeof value.input === "string") return { job_id: value.job_id, input: value.input }
    throw new Error("not {\"job_id\", \"input\"}")
  })

export const run = Effect.fnUntraced(function*(options: RunOptions) {
  const stdio = yield* Stdio.Stdio
  const notice = (text: string) => writeTo(stdio.stderr(), text).pipe(Effect.ignore)
  const tty = yield* stdio.stderrIsTerminal
  const format = yield* fileFormat(options.file, "input")
  const outFormat = yield* fileFormat(options.out, "--out")
  if (templateColumns(options.template).length === 0) {
    return yield* new BadInputError({ message: "--template names no column: use {{column}} for a row's value" })
  }
  const fields: Record<string, unknown> = {}
  if (Option.isSome(options.model)) fields.model = options.model.value
  if (Option.isSome(options.responseModel)) fields.response_model = options.responseModel.value
  if (Option.isSome(options.responseSchema)) fields.response_schema = yield* responseSchemaOf(options.responseSchema.value)
  const shape: QuestionShape = { template: options.template, idColumn: Option.getOrUndefined(options.idColumn), fields }
  yield* attempt(`cannot read ${options.file}`, () => access(options.file, constants.R_OK))
  const input = resolve(options.file)
  const sidecarPath = `${options.out}.job`
  const client = yield* makeClient(options.service)
  const scan = new Scan()

  const sidecar = yield* readSidecar(sidecarPath)
  let jobId: string
  if (sidecar !== undefined) {
    if (sidecar.input !== input) {
      return yield* new BadInputError({
        message: `${sidecarPath} belongs to a run of ${sidecar.input}: use another --out, or delete it to start a new job`
      })
    }
    jobId = sidecar.job_id
    yield* client.getJob({ params: { id: jobId } }).pipe(
      Effect.mapError((error) =>
        error instanceof NotFound
          ? new BadInputError({ message: `${error.error}; ${sidecarPath} names it: delete that file to start a new job` })
          : explain(options.service.url)(error)
      )
    )
    // The rows are read again only to know the bad ones; nothing is sent.
    yield* attempt(`reading ${options.file}`, async () => {
      for await (const _ of questionsOf(options.file, format, shape, scan)) void _
    })
    yield* notice(`resuming ${jobId} (from ${sidecarPath})\n`)
  } else {
    const query = {
      ...(Option.isSome(options.lane) ? { lane: options.lane.value } : {}),
      ...(Option.isSome(options.maxCostUsd) ? { max_cost_usd: String(options.maxCostUsd.value) } : {})
    }
    // A read failure (a CSV quote never closed) ends the upload: it is reported as the file's, not the service's.
    let unreadable: unknown = undefined
    const questions = async function*() {
      try {
        yield* questionsOf(options.file, format, shape, scan)
      } catch (error) {
        unreadable = error
        throw error
      }
    }
    const answer = yield* Effect.tryPromise({
      try: () => uploadJob({ ...options.service, query, questions: questions() }),
      catch: (cause) =>
        unreadable !== undefined
          ? new BadInputError({ message: `reading ${options.file}: ${unreadable instanceof Error ? unreadable.message : String(unreadable)}` })
          : new ServiceError({
          message: `submitting to ${options.service.url} failed (${cause instanceof Error ? cause.message : String(cause)}): ` +
            "is `llm-batch serve` running there?"
        })
    })
    yield* reportBad(scan, notice)
    if (answer._tag === "Refused") {
      return yield* new BadInputError({ message: `the service refused the job (HTTP ${answer.status}): ${answer.error}` })
    }
    jobId = answer.job.id
    yield* attempt(`writing ${sidecarPath}`, () => writeFile(sidecarPath, `${JSON.stringify({ job_id: jobId, input })}\n`))
    yield* notice(
      `submitted ${jobId} (${answer.job.counts.total} rows of ${scan.rows}); its id is in ${sidecarPath}: ` +
        "the same command resumes it. Ctrl-C stops following, not the job\n"
    )
  }
  if (sidecar !== undefined) yield* reportBad(scan, notice)

  const job = yield* client.getJob({ params: { id: jobId } }).pipe(Effect.mapError(explain(options.service.url)))
  const progress = makeProgress({ total: job.counts.total, tty, write: notice, periodicMs: statusEveryMs, noun: "row" })
  const results = new Map<number, TableResult>()
  yield* progress.start
  const stream = yield* client.jobResults({ params: { id: jobId }, query: { follow: true } })
  yield* Stream.runForEach(stream, (result) => {
    results.set(result.index, {
      status: result.status,
      result: result.result,
      error_message: result.error_message,
      model: result.model,
      cost_usd: result.cost_usd
    })
    return progress.onResult(result)
  }).pipe(Effect.mapError(explain(options.service.url)))
  yield* progress.finish
  const ended = yield* client.getJob({ params: { id: jobId } }).pipe(Effect.mapError(explain(options.service.url)))
  if (!finishedStatuses.has(ended.status)) {
    return yield* new ServiceError({
      message: `the results of ${jobId} stopped coming before it ended (${ended.status}): run the same command again to resume`
    })
  }
  if (ended.status !== "completed") yield* notice(`${jobId} ended ${ended.status}${ended.error ? `: ${ended.error}` : ""}\n`)

  const columns = (yield* attempt(`reading ${options.file}`, () => declaredColumns(options.file, format))) ?? [...scan.columns]
  yield* attempt(`writing ${options.out}`, () =>
    writeOutput(options.out, outFormat, { input: columns, answers: answerColumns(results.values()) }, joined(options.file, format, results, scan.bad)))
  const failed = [...results.values()].filter((result) => result.status === "error").length + scan.bad.size
  yield* notice(`wrote ${scan.rows} rows to ${options.out} (${scan.rows - failed} ok, ${failed} failed)\n`)
  if (failed > 0) return yield* new ItemsFailedError({ failed, total: scan.rows })
})

const reportBad = (scan: Scan, notice: (text: string) => Effect.Effect<void>) =>
  scan.bad.size === 0
    ? Effect.void
    : notice(`${scan.bad.size} row${scan.bad.size === 1 ? "" : "s"} not sent:\n${[...scan.bad.values()].map((m) => `  ${m}\n`).join("")}`)
