/**
 * `POST /batches` with a body made as it is sent: the JobRequest's JSON envelope, then its
 * questions as the dataset's rows yield them, chunked (Node's fetch, `duplex: "half"`). The CLI
 * never holds the file; the service reads the body whole, as it reads any job (MAX_JOB_BODY_BYTES).
 * JSON rather than JSONL because a JSONL body carries only questions: no lane, budget or metadata.
 */
import { Option, Redacted, Schema } from "effect"
import { Job } from "../../domain/Job.ts"

/** Text sent per chunk: one write per question would be 100,000 tiny chunks. */
const chunkChars = 64 * 1024

async function* envelopeText(envelope: Readonly<Record<string, unknown>>, questions: AsyncIterable<unknown>) {
  const head = JSON.stringify(envelope)
  let text = `${head.slice(0, -1)}${head === "{}" ? "" : ","}"questions":[`
  let first = true
  for await (const question of questions) {
    text += `${first ? "" : ",\n"}${JSON.stringify(question)}`
    first = false
    if (text.length >= chunkChars) {
      yield text
      text = ""
    }
  }
  yield `${text}]}`
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
  readonly envelope: Readonly<Record<string, unknown>>
  readonly questions: AsyncIterable<unknown>
}): Promise<UploadAnswer> => {
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (Option.isSome(options.apiKey)) headers.authorization = `Bearer ${Redacted.value(options.apiKey.value)}`
  const response = await fetch(new URL("/batches", options.url), {
    method: "POST",
    headers,
    body: bodyOf(envelopeText(options.envelope, options.questions)),
    duplex: "half"
  })
  const text = await response.text()
  if (response.status === 202) return { _tag: "Job", job: decodeJob(JSON.parse(text)) }
  const parsed = (() => {
    try {
      return decodeError(JSON.parse(text))
    } catch {
      return Option.none()
    }
  })()
  return { _tag: "Refused", status: response.status, error: Option.match(parsed, { onNone: () => text.slice(0, 500), onSome: (body) => body.error }) }
}
