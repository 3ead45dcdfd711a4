/**
 * What `llm-batch estimate|submit|status|results|cancel|jobs` do, as clients of a running service (the
 * command line itself is in jobs.ts). stdout carries only JSON: a Job, a job list, or results as
 * NDJSON; progress and notices go to stderr.
 */
import { Effect, Option, Stdio, Stream } from "effect"
import type { ResultItem } from "../domain/Batch.ts"
import type { Job } from "../domain/Job.ts"
import type { Lane } from "../domain/Lane.ts"
import { ItemsFailedError, MissingResultsError } from "./errors.ts"
import { estimateSummary } from "./estimateSummary.ts"
import { describeForInput, parseJobInput, readInputText, writeTo } from "./input.ts"
import { makeProgress } from "./progress.ts"
import { type CallError, type Client, explain, makeClient, type ServiceOptions } from "./service.ts"

const output = Effect.fnUntraced(function*() {
  const stdio = yield* Stdio.Stdio
  return {
    // A closed stdout (EPIPE) means the results cannot be delivered: that is a crash, not bad input.
    print: (text: string) => writeTo(stdio.stdout(), text).pipe(Effect.orDie),
    // Notices are best effort: a closed stderr must not fail the command.
    notice: (text: string) => writeTo(stdio.stderr(), text).pipe(Effect.ignore),
    tty: yield* stdio.stderrIsTerminal
  }
})

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`
const line = (result: ResultItem) => `${JSON.stringify(result)}\n`

/** What a results stream delivered, checked against the job's own counts once it has ended. */
const tally = (id: string) => {
  const indexes = new Set<number>()
  let lines = 0
  return {
    add: (result: ResultItem) => {
      lines += 1
      indexes.add(result.index)
    },
    /** Fails unless every result the job held (`expected`: its stored results) came, each once. */
    check: (expected: number) =>
      indexes.size < expected || lines > indexes.size
        ? Effect.fail(new MissingResultsError({ id, received: indexes.size, expected, repeated: lines - indexes.size }))
        : Effect.void
  }
}

/** The results a job holds: one per question that has finished. */
const stored = (job: Job) => job.counts.total - job.counts.pending

/** Follows a job to its end: a progress bar on stderr, each result on stdout as it finishes. */
const waitFor = Effect.fnUntraced(function*(client: Client, url: string, job: Job) {
  const { notice, print, tty } = yield* output()
  yield* notice(
    `submitted ${job.id} (${job.counts.total} questions); following it. Ctrl-C stops following, ` +
      `not the job: \`llm-batch results ${job.id}\` reads it later\n`
  )
  const progress = makeProgress({ total: job.counts.total, tty, write: notice })
  yield* progress.start
  const results = yield* client.jobResults({ params: { id: job.id }, query: { follow: true } })
  const delivered = tally(job.id)
  yield* Stream.runForEach(results, (result) => {
    delivered.add(result)
    return Effect.andThen(progress.onResult(result), print(line(result)))
  })
  yield* progress.finish
  const ended = yield* client.getJob({ params: { id: job.id } })
  yield* delivered.check(stored(ended))
  if (ended.status === "failed") yield* notice(`${ended.id} failed: ${ended.error ?? "no reason given"}\n`)
  else if (ended.status !== "completed") yield* notice(`${ended.id} ended ${ended.status}\n`)
  const failed = ended.counts.failed + ended.counts.pending
  if (failed > 0 || ended.status !== "completed") {
    return yield* new ItemsFailedError({ failed, total: ended.counts.total })
  }
}, (effect, _client, url) =>
  Effect.mapError(effect, (error) =>
    error instanceof ItemsFailedError || error instanceof MissingResultsError ? error : explain(url)(error)))

interface JobFileOptions {
  readonly file: string
  /** `--lane`: wins over the file's own `lane`. */
  readonly lane: Option.Option<Lane>
  readonly service: ServiceOptions
}

/** The file's job as the service takes it, a client of the service, and how its errors are told about the file. */
const jobFromFile = Effect.fnUntraced(function*(options: JobFileOptions) {
  const input = yield* parseJobInput(options.file === "-" ? "stdin" : options.file, yield* readInputText(options.file))
  const client = yield* makeClient(options.service)
  const payload = { ...input.request, lane: Option.getOrElse(options.lane, () => input.request.lane) }
  return { client, payload, explained: explain(options.service.url, (message) => describeForInput(input, message)) }
})

export const submit = Effect.fnUntraced(function*(options: JobFileOptions & { readonly wait: boolean }) {
  const { client, explained, payload } = yield* jobFromFile(options)
  const job = yield* client.submit({ payload }).pipe(Effect.mapError(explained))
  if (options.wait) return yield* waitFor(client, options.service.url, job)
  const { print } = yield* output()
  yield* print(json(job))
})

/** The job's estimate (JSON) on stdout, and a line or two a person reads on stderr. */
export const estimate = Effect.fnUntraced(function*(options: JobFileOptions) {
  const { client, explained, payload } = yield* jobFromFile(options)
  const answer = yield* client.estimate({ payload }).pipe(Effect.mapError(explained))
  const { notice, print } = yield* output()
  yield* notice(estimateSummary(answer))
  yield* print(json(answer))
})

/** One call of the service whose answer is printed as JSON: status, cancel, jobs. */
const printAnswer = <A, E extends CallError, R>(service: ServiceOptions, call: (client: Client) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const client = yield* makeClient(service)
    const { print } = yield* output()
    yield* print(json(yield* call(client)))
  }).pipe(Effect.mapError(explain(service.url)))

export const status = (options: { readonly id: string; readonly service: ServiceOptions }) =>
  printAnswer(options.service, (client) => client.getJob({ params: { id: options.id } }))

export const cancel = (options: { readonly id: string; readonly service: ServiceOptions }) =>
  printAnswer(options.service, (client) => client.cancelJob({ params: { id: options.id } }))

export const list = (options: { readonly limit: number; readonly service: ServiceOptions }) =>
  printAnswer(options.service, (client) => client.listJobs({ query: { limit: options.limit } }))

export const results = Effect.fnUntraced(function*(options: {
  readonly id: string
  readonly follow: boolean
  readonly service: ServiceOptions
}) {
  const client = yield* makeClient(options.service)
  const { print } = yield* output()
  // Read first: every result stored by then must come (more may, while the job runs).
  const before = yield* client.getJob({ params: { id: options.id } })
  const stream = yield* client.jobResults({ params: { id: options.id }, query: { follow: options.follow } })
  const delivered = tally(options.id)
  yield* Stream.runForEach(stream, (result) => {
    delivered.add(result)
    return print(line(result))
  })
  // Followed to the end: every result the job holds now.
  const after = options.follow ? yield* client.getJob({ params: { id: options.id } }) : before
  yield* delivered.check(stored(after))
}, (effect, options) =>
  Effect.mapError(effect, (error) => error instanceof MissingResultsError ? error : explain(options.service.url)(error))
)

