/**
 * Why a Messages API call failed, from the raw status and body: the status names the class
 * (docs.anthropic.com, *Errors*), a few `error.type`s refine it, and the message tells a prompt
 * over the context window and a refused `output_config` apart from other invalid requests.
 */
import { type Classified, reasonOfStatus } from "../adapter.ts"
import { errorDetails } from "../errorBody.ts"

/**
 * The error types that say more than their status: Anthropic pairs the others one to one with a
 * status (`rate_limit_error` 429, `not_found_error` 404, …), so the status decides those.
 */
const byType: Readonly<Record<string, Classified>> = {
  billing_error: { reason: "quota_exceeded" },
  overloaded_error: { reason: "overloaded" },
  timeout_error: { reason: "timeout" }
}

export const classify = (status: number, body: unknown): Classified => {
  const details = errorDetails(body)
  const message = details?.message ?? ""
  if (status === 400 || status === 413 || status === 422) {
    if (/prompt is too long|context window|context length|too many (input )?tokens/i.test(message)) {
      return { reason: "context_length" }
    }
    if (/output_config|output_format|structured output|json_schema/i.test(message)) {
      return { reason: "refused_parameter", parameter: "response_format" }
    }
  }
  const type = details?.type ?? ""
  return (Object.hasOwn(byType, type) ? byType[type] : undefined) ?? { reason: reasonOfStatus(status) }
}
