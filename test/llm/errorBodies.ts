/**
 * Error bodies as OpenAI, Anthropic and OpenAI-compatible servers send them, with the status they
 * came with and the reason each must be classified as. Taken from the providers' API references
 * and error guides (platform.openai.com/docs/guides/error-codes, docs.anthropic.com/en/api/errors)
 * and from the servers' sources (vLLM, Ollama, Mistral, Gemini's OpenAI compatibility); the
 * machine running the tests has no network, so none was captured live here.
 */
import type { Classified } from "../../src/llm/adapter.ts"

export interface RecordedError {
  readonly name: string
  readonly status: number
  readonly body: unknown
  readonly expected: Classified
}

const openAi = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code }
})

export const openAiErrors: ReadonlyArray<RecordedError> = [
  {
    name: "rate limit (tokens per minute)",
    status: 429,
    body: openAi(
      "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, " +
        "Requested 1500. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.",
      "tokens",
      "rate_limit_exceeded"
    ),
    expected: { reason: "rate_limited" }
  },
  {
    name: "out of quota",
    status: 429,
    body: openAi(
      "You exceeded your current quota, please check your plan and billing details.",
      "insufficient_quota",
      "insufficient_quota"
    ),
    expected: { reason: "quota_exceeded" }
  },
  {
    name: "context length",
    status: 400,
    body: openAi(
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. " +
        "Please reduce the length of the messages.",
      "invalid_request_error",
      "context_length_exceeded",
      "messages"
    ),
    expected: { reason: "context_length" }
  },
  {
    name: "logprobs refused by a reasoning model",
    status: 400,
    body: openAi(
      "Unsupported parameter: 'logprobs' is not supported with this model.",
      "invalid_request_error",
      "unsupported_parameter",
      "logprobs"
    ),
    expected: { reason: "refused_parameter", parameter: "logprobs" }
  },
  {
    name: "response_format refused, no param given",
    status: 400,
    body: openAi(
      "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
      "invalid_request_error",
      null
    ),
    expected: { reason: "refused_parameter", parameter: "response_format" }
  },
  {
    name: "another invalid parameter",
    status: 400,
    body: openAi(
      "max_tokens is too large: 200000. This model supports at most 16384 completion tokens.",
      "invalid_request_error",
      null,
      "max_tokens"
    ),
    expected: { reason: "bad_request" }
  },
  {
    name: "wrong key",
    status: 401,
    body: openAi("Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"),
    expected: { reason: "auth" }
  },
  {
    name: "unknown model",
    status: 404,
    body: openAi("The model `gpt-9` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"),
    expected: { reason: "not_found" }
  },
  {
    name: "server error",
    status: 500,
    body: openAi("The server had an error while processing your request. Sorry about that!", "server_error", null),
    expected: { reason: "server_error" }
  },
  {
    name: "overloaded",
    status: 503,
    body: openAi("The engine is currently overloaded, please try again later", "server_error", null),
    expected: { reason: "overloaded" }
  },
  {
    name: "vLLM: logprobs refused (flat body)",
    status: 400,
    body: { object: "error", message: "logprobs is not supported for this model", type: "BadRequestError", param: null, code: 400 },
    expected: { reason: "refused_parameter", parameter: "logprobs" }
  },
  {
    name: "Mistral: prompt over the context window (flat body)",
    status: 400,
    body: {
      object: "error",
      message: "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
      type: "invalid_request_error",
      param: null,
      code: null
    },
    expected: { reason: "context_length" }
  },
  {
    name: "Gemini: quota (array body)",
    status: 429,
    body: [{ error: { code: 429, message: "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED" } }],
    expected: { reason: "rate_limited" }
  },
  {
    name: "Ollama: unknown model (string error)",
    status: 404,
    body: { error: "model \"llama9\" not found, try pulling it first" },
    expected: { reason: "not_found" }
  },
  {
    name: "a proxy's HTML page",
    status: 502,
    body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    expected: { reason: "server_error" }
  }
]

const anthropic = (type: string, message: string) => ({ type: "error", error: { type, message } })

export const anthropicErrors: ReadonlyArray<RecordedError> = [
  {
    name: "prompt too long",
    status: 400,
    body: anthropic("invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"),
    expected: { reason: "context_length" }
  },
  {
    name: "output_config refused",
    status: 400,
    body: anthropic("invalid_request_error", "output_config.format: structured outputs are not supported for this model"),
    expected: { reason: "refused_parameter", parameter: "response_format" }
  },
  {
    name: "invalid request",
    status: 400,
    body: anthropic("invalid_request_error", "max_tokens: Field required"),
    expected: { reason: "bad_request" }
  },
  { name: "wrong key", status: 401, body: anthropic("authentication_error", "invalid x-api-key"), expected: { reason: "auth" } },
  {
    name: "no permission",
    status: 403,
    body: anthropic("permission_error", "Your API key does not have permission to use the specified resource."),
    expected: { reason: "auth" }
  },
  { name: "unknown model", status: 404, body: anthropic("not_found_error", "model: claude-9"), expected: { reason: "not_found" } },
  {
    name: "request too large",
    status: 413,
    body: anthropic("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    expected: { reason: "bad_request" }
  },
  {
    name: "rate limited",
    status: 429,
    body: anthropic(
      "rate_limit_error",
      "This request would exceed the rate limit for your organization of 50,000 input tokens per minute."
    ),
    expected: { reason: "rate_limited" }
  },
  {
    name: "out of credit",
    status: 400,
    body: anthropic("billing_error", "Your credit balance is too low to access the Anthropic API."),
    expected: { reason: "quota_exceeded" }
  },
  { name: "API error", status: 500, body: anthropic("api_error", "Internal server error"), expected: { reason: "server_error" } },
  { name: "overloaded", status: 529, body: anthropic("overloaded_error", "Overloaded"), expected: { reason: "overloaded" } }
]
