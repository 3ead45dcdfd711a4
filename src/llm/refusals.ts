/**
 * How to recognise a provider refusing an optional request parameter, so the caller can ask again
 * without it. A provider (or one of its models) that does not support a parameter answers 400 or
 * 422 and names it; the message is the only signal there is, so this is the one place that reads it.
 */
import type { LlmError } from "../domain/Errors.ts"

const refuses = (names: RegExp) => (error: LlmError): boolean =>
  error._tag === "UpstreamError" && (error.status === 400 || error.status === 422) && names.test(error.message)

/** Native structured output (`response_format`, Anthropic's `output_config`). */
export const rejectsResponseFormat = refuses(
  /response_format|json_schema|json_object|output_config|output_format|structured output/i
)

/** Token log-probabilities (`logprobs`), which many OpenAI-compatible servers do not implement. */
export const rejectsLogprobs = refuses(/logprobs/i)

/**
 * The prompt does not fit the model's context window: OpenAI's `context_length_exceeded` ("This
 * model's maximum context length is …"), Anthropic's "prompt is too long", and the wordings of
 * OpenAI-compatible servers. Asking the same model again cannot help; a fallback model may.
 */
export const exceedsContext = (error: LlmError): boolean =>
  error._tag === "UpstreamError" && (error.status === 400 || error.status === 413 || error.status === 422) &&
  /context_length_exceeded|maximum context length|context length|context window|prompt is too long|too many (input )?tokens/i
    .test(error.message)
