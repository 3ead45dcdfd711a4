/**
 * What an error body says, in the shapes providers and OpenAI-compatible servers send:
 * `{"error": {"message", "type", "code", "param"}}` (OpenAI, Anthropic inside `{"type": "error"}`),
 * `{"error": "text"}`, a flat `{"message", "type", "code"}` (vLLM, Mistral), a one-element array of
 * those (Gemini), `{"detail": "text"}` (FastAPI servers) or plain text. Read by the protocols'
 * `classify` (the raw body, before anything is redacted) and by the decoders' error detail.
 */
import { Exit, Schema } from "effect"

export interface ErrorDetails {
  readonly message: string
  /** `type` (OpenAI's `invalid_request_error`, Anthropic's `overloaded_error`, …). */
  readonly type: string
  /** OpenAI's `code` (`context_length_exceeded`, `insufficient_quota`, …) or Gemini's `status`. */
  readonly code: string
  /** OpenAI's `param`: the request field the error is about. */
  readonly param: string
}

const Text = Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, Schema.Number])))

const Fields = Schema.Struct({ message: Text, type: Text, code: Text, param: Text, status: Text, detail: Text })

const Body = Schema.Struct({ ...Fields.fields, error: Schema.optionalKey(Schema.Union([Schema.String, Fields])) })

const decodeBody = Schema.decodeUnknownExit(Body)

const text = (value: string | number | null | undefined): string => value === null || value === undefined ? "" : String(value)

/** The details of `body`, or undefined when it is not an error body of a shape we know. */
export const errorDetails = (body: unknown): ErrorDetails | undefined => {
  if (typeof body === "string") return body.trim() === "" ? undefined : { message: body, type: "", code: "", param: "" }
  const exit = decodeBody(Array.isArray(body) && body.length === 1 ? body[0] : body)
  if (Exit.isFailure(exit)) return undefined
  const outer = exit.value
  const inner = typeof outer.error === "string" ? { message: outer.error } : outer.error ?? outer
  const details = {
    message: text(inner.message ?? outer.message ?? outer.detail),
    type: text(inner.type ?? outer.type),
    code: text(inner.code ?? inner.status ?? outer.code),
    param: text(inner.param ?? outer.param)
  }
  return Object.values(details).every((value) => value === "") ? undefined : details
}
