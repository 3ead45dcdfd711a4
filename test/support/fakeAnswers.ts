/**
 * The fake upstream's answer bodies (OpenAI chat completions, Anthropic messages, their error
 * bodies), shared by the synchronous endpoints and the batch results so a scripted prompt reads
 * the same in both lanes.
 */
export type Protocol = "openai" | "anthropic"

export const messageText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
    ? content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("")
    : ""

/** The last user message's text and every message's text (system prompt first) of a request body. */
export const promptOf = (body: Record<string, unknown>): { readonly prompt: string; readonly allText: string } => {
  const messages = Array.isArray(body.messages) ? body.messages : []
  const userMessages = messages.filter((m: { role?: string }) => m.role === "user")
  const prompt = messageText(userMessages.at(-1)?.content)
  const system = typeof body.system === "string" ? body.system : ""
  const allText = [system, ...messages.map((m: { content?: unknown }) => messageText(m.content))].join("\n")
  return { prompt, allText }
}

export const errorBody = (protocol: Protocol, status: number) =>
  protocol === "anthropic"
    ? { type: "error", error: { type: "api_error", message: `fake error ${status}` } }
    : { error: { message: `fake error ${status}`, type: "server_error", code: null } }

/** The error type each provider names a status with (the batch results carry it per line). */
export const errorType = (protocol: Protocol, status: number): string => {
  if (protocol === "anthropic") {
    const types: Record<number, string> = {
      400: "invalid_request_error",
      401: "authentication_error",
      403: "permission_error",
      404: "not_found_error",
      413: "request_too_large",
      429: "rate_limit_error",
      529: "overloaded_error"
    }
    return types[status] ?? "api_error"
  }
  return status === 429 ? "rate_limit_error" : status < 500 ? "invalid_request_error" : "server_error"
}

/** An error body in the provider's own shape, with a message of our choosing. */
export const providerError = (protocol: Protocol, status: number, message: string, code: string | null = null) =>
  protocol === "anthropic"
    ? { type: "error", error: { type: errorType(protocol, status), message }, request_id: "req_fake" }
    : { error: { message, type: errorType(protocol, status), param: null, code } }

/** An OpenAI-style 400 body naming the parameter, as servers without log-probabilities send. */
export const logprobsRefusal = {
  error: { message: "logprobs is not supported by this model", type: "invalid_request_error", param: "logprobs", code: null }
}

export const openAiAnswer = (
  model: string,
  text: string,
  logprobs: ReadonlyArray<number> | undefined,
  finishReason: string
) => ({
  id: "chatcmpl-fake",
  object: "chat.completion",
  created: 0,
  model,
  choices: [{
    index: 0,
    message: { role: "assistant", content: text },
    finish_reason: finishReason,
    logprobs: logprobs
      ? { content: logprobs.map((logprob, i) => ({ token: `t${i}`, logprob, bytes: null, top_logprobs: [] })) }
      : null
  }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
})

export const anthropicAnswer = (model: string, text: string, stopReason: string) => ({
  id: "msg_fake",
  type: "message",
  role: "assistant",
  model,
  content: [{ type: "text", text }],
  stop_reason: stopReason,
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 6 }
})
