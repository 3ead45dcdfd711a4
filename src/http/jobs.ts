/**
 * The handlers of the `jobs` group (repo_docs/contract.md, *Batch jobs*): thin adapters over the
 * `Jobs` service. `POST /batches` reads and decodes its body itself, as the batch routes do, so
 * every 400 names the field path — or, for JSONL, the line.
 */
import { Effect, Exit, Layer, Result, Schema, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiMiddleware } from "effect/http-api"
import { AppConfig } from "../config/AppConfig.ts"
import { decodeWith, formatIssue } from "../domain/decode.ts"
import type { InvalidBatchError } from "../domain/Errors.ts"
import { InvalidRequest, NotFound, PayloadTooLarge } from "../domain/Http.ts"
import { MaxCostUsd, type QuestionItem } from "../domain/Batch.ts"
import { type JobNotFoundError, JobRequest } from "../domain/Job.ts"
import { describeLines, JsonlQuestionReader } from "../domain/jsonl.ts"
import { resultsCsv } from "../domain/resultsTable.ts"
import { defaultLane, Lane } from "../domain/Lane.ts"
import { Jobs } from "../jobs/Jobs.ts"
import { Api, Caller, ParameterErrors } from "./Api.ts"
import { type BodyError, readJobBody } from "./body.ts"
import { ndjsonResponse } from "./stream.ts"

const decodeJobRequest = decodeWith(JobRequest)

/** Questions decoded between two yields to the event loop (50,000 at once held it for ~2 s). */
const decodeSlice = 2_000

/**
 * `decodeJobRequest`, a slice of questions at a time with other requests served in between. Any
 * failure is decoded again whole, so its messages name the same `questions[k]` paths.
 */
const decodeInTurns = Effect.fnUntraced(function*(value: unknown) {
  if (typeof value !== "object" || value === null || !("questions" in value) || !Array.isArray(value.questions)) {
    return yield* decodeJobRequest(value)
  }
  const all: ReadonlyArray<unknown> = value.questions
  const questions: Array<QuestionItem> = []
  let envelope: JobRequest | undefined
  for (let start = 0; start === 0 || start < all.length; start += decodeSlice) {
    const slice = decodeJobRequest({ ...value, questions: all.slice(start, start + decodeSlice) })
    if (Exit.isFailure(slice)) return yield* decodeJobRequest(value)
    envelope ??= slice.value
    questions.push(...slice.value.questions)
    yield* Effect.yieldNow
  }
  return { ...envelope!, questions }
})

/**
 * A JSONL body carries only questions: the job's `lane` and `max_cost_usd` come as query parameters
 * (`POST /batches?lane=batch&max_cost_usd=5`; `llm-batch run` streams rows this way).
 */
const JsonlOptions = Schema.Struct({
  lane: Schema.optionalKey(Lane),
  max_cost_usd: Schema.optionalKey(Schema.NumberFromString.pipe(Schema.decodeTo(MaxCostUsd)))
})
const decodeJsonlOptions = decodeWith(JsonlOptions, "query")

const jsonlOptions = (url: string) =>
  decodeJsonlOptions(Object.fromEntries(new URL(url, "http://localhost").searchParams)).pipe(
    Effect.mapError((error) => new InvalidRequest({ error: `invalid query parameter: ${error.message}` }))
  )

/** `GET /batches` without `limit`. */
const defaultListLimit = 20

const invalid = (error: InvalidBatchError) => new InvalidRequest({ error: error.message })
const notFound = (error: JobNotFoundError) => new NotFound({ error: error.message })

/** A query or path parameter that does not decode: a 400 naming it. Other schema errors stay the service's. */
const ParameterErrorsLayer = HttpApiMiddleware.layerSchemaErrorTransform(ParameterErrors, (error) => {
  if (error.kind !== "Query" && error.kind !== "Params") return Effect.fail(error)
  const where = error.kind === "Query" ? "query" : "path"
  return Effect.fail(new InvalidRequest({ error: `invalid ${where} parameter: ${formatIssue(error.cause.issue)}` }))
})

const JobsRoutes = HttpApiBuilder.group(
  Api,
  "jobs",
  Effect.fnUntraced(function*(handlers) {
    const config = yield* AppConfig
    const jobs = yield* Jobs

    const withJson = <A>(value: unknown, use: (request: JobRequest) => Effect.Effect<A, InvalidBatchError>) =>
      decodeInTurns(value).pipe(Effect.flatMap(use), Effect.mapError(invalid))

    // Lines are decoded as they arrive, the body never held whole; past MAX_JOB_SIZE questions the
    // rest is not read. Bad lines are reported together; a batch error (a duplicate index, a cycle)
    // names lines too.
    const withJsonl = Effect.fnUntraced(function*<A>(
      pieces: Stream.Stream<string, BodyError>,
      url: string,
      use: (request: JobRequest) => Effect.Effect<A, InvalidBatchError>
    ) {
      const options = yield* jsonlOptions(url)
      const reader = new JsonlQuestionReader(config.jobs.maxJobSize, config.maxJsonValues)
      yield* Stream.runForEachWhile(pieces, (piece) => Effect.sync(() => (reader.push(piece), !reader.full)))
      const parsed = reader.end()
      if (Result.isFailure(parsed) && reader.tooLarge) return yield* new PayloadTooLarge({ error: parsed.failure.join("; ") })
      if (Result.isFailure(parsed)) {
        return yield* new InvalidRequest({ error: `body is not valid JSONL: ${parsed.failure.join("; ")}` })
      }
      const { lines, questions } = parsed.success
      return yield* use({ questions, lane: defaultLane, ...options }).pipe(
        Effect.mapError((error) => new InvalidRequest({ error: describeLines(lines, error.message) }))
      )
    })

    return handlers
      .handleRaw("submit", Effect.fnUntraced(function*({ request }) {
        const owner = yield* Caller
        const body = yield* readJobBody(request, { maxBytes: config.maxJobBodyBytes, maxValues: config.maxJsonValues })
        const submit = (request: JobRequest) => jobs.submit(request, owner)
        const job = yield* (body.format === "json"
          ? withJson(body.value, submit)
          : withJsonl(body.pieces, request.url, submit))
        return HttpServerResponse.jsonUnsafe(job, { status: 202 })
      }))
      // The same body, limits and messages as `submit`; nothing is stored or sent.
      .handleRaw("estimate", Effect.fnUntraced(function*({ request }) {
        const body = yield* readJobBody(request, { maxBytes: config.maxJobBodyBytes, maxValues: config.maxJsonValues })
        const estimate = yield* (body.format === "json"
          ? withJson(body.value, jobs.estimate)
          : withJsonl(body.pieces, request.url, jobs.estimate))
        return HttpServerResponse.jsonUnsafe(estimate)
      }))
      .handle("listJobs", ({ query }) =>
        Effect.flatMap(Caller, (owner) => jobs.list(owner, query.limit ?? defaultListLimit)).pipe(
          Effect.map((data) => ({ data }))
        ))
      .handle("getJob", ({ params }) =>
        Effect.flatMap(Caller, (owner) => jobs.get(params.id, owner)).pipe(Effect.mapError(notFound)))
      // An unknown job is a 404 before the 200 and the first line.
      .handleRaw("jobResults", ({ params, query }) =>
        Effect.gen(function*() {
          const owner = yield* Caller
          yield* jobs.get(params.id, owner).pipe(Effect.mapError(notFound))
          if (query.format !== "csv") return ndjsonResponse(jobs.results(params.id, owner, { follow: query.follow ?? false }))
          if (query.follow === true) {
            return yield* new InvalidRequest({ error: "format=csv is one table of the results stored now: leave out follow" })
          }
          // A table's columns depend on every answer: the stored results are read whole (at most MAX_JOB_SIZE).
          const results = yield* Stream.runCollect(jobs.results(params.id, owner, { follow: false })).pipe(Effect.mapError(notFound))
          return HttpServerResponse.text(resultsCsv(results), {
            contentType: "text/csv; charset=utf-8",
            headers: { "content-disposition": `attachment; filename="${params.id}.csv"` }
          })
        }))
      .handleRaw("jobQuestions", ({ params }) =>
        Effect.gen(function*() {
          const owner = yield* Caller
          yield* jobs.get(params.id, owner)
          return ndjsonResponse(jobs.questions(params.id, owner))
        }).pipe(Effect.mapError(notFound)))
      .handle("cancelJob", ({ params }) =>
        Effect.flatMap(Caller, (owner) => jobs.cancel(params.id, owner)).pipe(Effect.mapError(notFound)))
  })
)

export const JobsHandlers = JobsRoutes.pipe(Layer.provide(ParameterErrorsLayer))
