/**
 * Why a chat-completions call failed, from the raw status and body: OpenAI's `code` and `param`
 * where it sends them, else the wordings of OpenAI-compatible servers (vLLM, Ollama, Groq,
 * Mistral, Gemini, …), which often name the refused parameter only in the message.
 */
import { type Classified, reasonOfStatus } from "../adapter.ts"
import { errorDetails } from "../errorBody.ts"

const contextWording =
  /context_length_exceeded|maximum context length|context length|context window|prompt is too long|too many (input )?tokens|reduce the length of the messages/i

const refusedParameter = (param: string, message: string): Classified | undefined =>
  /^(top_)?logprobs$/.test(param) || (param === "" && /logprobs/i.test(message))
    ? { reason: "refused_parameter", parameter: "logprobs" }
    : param.startsWith("response_format") ||
        (param === "" && /response_format|json_schema|json_object|structured output/i.test(message))
    ? { reason: "refused_parameter", parameter: "response_format" }
    : undefined

export const classify = (status: number, body: unknown): Classified => {
  const details = errorDetails(body)
  const code = details?.code ?? ""
  const message = details?.message ?? ""
  if (status === 429) {
    // Out of credit: retrying cannot help before someone pays (another provider may).
    return { reason: code === "insufficient_quota" || details?.type === "insufficient_quota" ? "quota_exceeded" : "rate_limited" }
  }
  if (status === 400 || status === 413 || status === 422) {
    if (code === "context_length_exceeded" || contextWording.test(message)) return { reason: "context_length" }
    const refused = status === 413 ? undefined : refusedParameter(details?.param ?? "", message)
    if (refused !== undefined) return refused
  }
  if (status === 503 && /overloaded/i.test(message)) return { reason: "overloaded" }
  return { reason: reasonOfStatus(status) }
}
