/**
 * The service's HTTP API as the console calls it: the key on every call (asked for on a 401), each
 * answer decoded with the domain's own schemas, NDJSON streams read line by line as they arrive.
 */
import { Exit, Schema } from "effect"
import { BatchRequest, QuestionItem, ResultItem } from "../../src/domain/Batch.ts"
import { JobEstimate } from "../../src/domain/Estimate.ts"
import { ErrorBody } from "../../src/domain/Http.ts"
import { Job, JobList } from "../../src/domain/Job.ts"
import { parseJson } from "../../src/domain/jsonl.ts"
import { askForKey, storedKey } from "./auth.ts"

/** A call the service refused, with its `{"error"}` message (a 400 names the field to fix). */
export class ApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

const decodeError = Schema.decodeUnknownOption(ErrorBody)

const withKey = (init: RequestInit, key: string | null): RequestInit => {
  const headers = new Headers(init.headers)
  if (key !== null) headers.set("authorization", `Bearer ${key}`)
  return { ...init, headers }
}

/** `fetch` with the key; a 401 asks for a key and tries again; any other non-2xx is an ApiError. */
export const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
  let key = storedKey()
  let refused = false
  for (;;) {
    const response = await fetch(path, withKey(init, key))
    if (response.status !== 401) {
      if (response.ok) return response
      const text = await response.text()
      const body = decodeError(parseOrText(text))
      throw new ApiError(response.status, body._tag === "Some" ? body.value.error : `HTTP ${response.status}: ${text}`)
    }
    // Drain the 401 so the connection can be reused, then ask (again, if the key was wrong).
    await response.body?.cancel()
    key = await askForKey(refused || key !== null)
    refused = true
  }
}

/** The body as JSON, or its text when it is not (a proxy's HTML page). */
const parseOrText = (text: string): unknown => {
  const parsed = parseJson(text)
  return Exit.isSuccess(parsed) ? parsed.value : text
}

const json = async <S extends Schema.ConstraintDecoder<unknown>>(schema: S, response: Response): Promise<S["Type"]> =>
  Schema.decodeUnknownSync(schema)(await response.json())

/** Each line of an NDJSON body, decoded, as soon as it arrives. */
export async function* ndjson<S extends Schema.ConstraintDecoder<unknown>>(
  schema: S,
  response: Response
): AsyncGenerator<S["Type"]> {
  const decode = Schema.decodeUnknownSync(schema)
  if (response.body === null) return
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += value
      let newline = buffer.indexOf("\n")
      while (newline !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        if (line.trim() !== "") yield decode(JSON.parse(line))
        newline = buffer.indexOf("\n")
      }
    }
    if (buffer.trim() !== "") yield decode(JSON.parse(buffer))
  } finally {
    reader.releaseLock()
  }
}

const jsonBody = (body: unknown, signal?: AbortSignal): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
  ...(signal === undefined ? {} : { signal })
})

export const listJobs = async (signal: AbortSignal) =>
  (await json(JobList, await call("/batches?limit=100", { signal }))).data

export const getJob = async (id: string, signal: AbortSignal) =>
  json(Job, await call(`/batches/${encodeURIComponent(id)}`, { signal }))

export const cancelJob = async (id: string) =>
  json(Job, await call(`/batches/${encodeURIComponent(id)}/cancel`, { method: "POST" }))

export const jobQuestions = async (id: string, signal: AbortSignal) =>
  ndjson(QuestionItem, await call(`/batches/${encodeURIComponent(id)}/questions`, { signal }))

/** Every result so far, then each new one until the job ends. */
export const followResults = async (id: string, signal: AbortSignal) =>
  ndjson(ResultItem, await call(`/batches/${encodeURIComponent(id)}/results?follow=true`, { signal }))

type JobBody = { readonly json: unknown } | { readonly jsonl: string }

const jobInit = (body: JobBody): RequestInit =>
  "json" in body ? jsonBody(body.json) : { method: "POST", headers: { "content-type": "application/jsonl" }, body: body.jsonl }

/** `POST /batches`: a JSON job request, or JSONL text sent as is. */
export const submitJob = async (body: JobBody) => json(Job, await call("/batches", jobInit(body)))

/** `POST /batches/estimate`: the same body; nothing is stored or sent to a model. */
export const estimateJob = async (body: JobBody) => json(JobEstimate, await call("/batches/estimate", jobInit(body)))

/** `POST /ask/stream`: the results of a batch run now, as each finishes. */
export const askStream = async (request: BatchRequest, signal: AbortSignal) =>
  ndjson(ResultItem, await call("/ask/stream", jsonBody(Schema.encodeSync(BatchRequest)(request), signal)))
