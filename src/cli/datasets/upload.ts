/**
 * `POST /batches` with a JSONL body made as it is sent: one question per line as the dataset's rows
 * yield them, chunked (Node's fetch, `duplex: "half"`), the job's lane and budget as query
 * parameters. Neither the CLI nor the service holds the body whole: the service decodes its lines
 * as they arrive (a JSON body is read whole, then parsed). Both count toward MAX_JSON_VALUES (a row's
 * question is ~5 values) and MAX_JOB_BODY_BYTES.
 */
import { Exit, Option, Redacted, Schema } from "effect"
import { Job } from "../../domain/Job.ts"
import { parseJson } from "../../domain/jsonl.ts"

/** Text sent per chunk: one write per question would be 100,000 tiny chunks. */
const chunkChars = 64 * 1024

async function* jsonlText(questions: AsyncIterable<unknown>) {
  let text = ""
  for await (const question of questions) {
    text += `${JSON.stringify(question)}\n`
    if (text.length >= chunkChars) {
      yield text
      text = ""
    }
  }
  yield text
}

const bodyOf = (texts: AsyncGenerator<string>) => {
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await texts.next()
      if (next.done) controller.close()
      else controller.enqueue(encoder.encode(next.value))
    },
    async cancel() {
      await texts.return(undefined)
    }
  })
}

export type UploadAnswer =
  | { readonly _tag: "Job"; readonly job: Job }
  | { readonly _tag: "Refused"; readonly status: number; readonly error: string }

const decodeJob = Schema.decodeUnknownSync(Job)
const ErrorBody = Schema.Struct({ error: Schema.String })
const decodeError = Schema.decodeUnknownOption(ErrorBody)

/** Submits the job; a refusal comes back with the service's own message. Transport failures reject. */
export const uploadJob = async (options: {
  readonly url: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  /** The job's `lane` and `max_cost_usd`, when given. */
  readonly query: Readonly<Record<string, string>>
  readonly questions: AsyncIterable<unknown>
}): Promise<UploadAnswer> => {
  const headers: Record<string, string> = { "content-type": "application/jsonl" }
  if (Option.isSome(options.apiKey)) headers.authorization = `Bearer ${Redacted.value(options.apiKey.value)}`
  const url = new URL("/batches", options.url)
  for (const [name, value] of Object.entries(options.query)) url.searchParams.set(name, value)
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: bodyOf(jsonlText(options.questions)),
    duplex: "half"
  })
  const text = await response.text()
  if (response.status === 202) return { _tag: "Job", job: decodeJob(JSON.parse(text)) }
  const json = parseJson(text)
  const parsed = Exit.isSuccess(json) ? decodeError(json.value) : Option.none()
  return { _tag: "Refused", status: response.status, error: Option.match(parsed, { onNone: () => text.slice(0, 500), onSome: (body) => body.error }) }
}
