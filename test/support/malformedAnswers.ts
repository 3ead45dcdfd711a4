/**
 * Upstream answers that arrive with HTTP 200 but are not a completion, for each protocol: what the
 * fake sends, and the phrase the item's error must contain.
 */
import type { Step } from "./FakeUpstream.ts"

export type Protocol = "openai" | "anthropic"

export interface MalformedAnswer {
  readonly name: string
  readonly step: Step
  /** What the item's error_message must contain after "<provider> answered HTTP 200 …". */
  readonly problem: string
}

/** A model of each protocol, routed to the fake by the test server. */
export const modelOf: Record<Protocol, string> = { openai: "openai/gpt-4o-mini", anthropic: "anthropic/claude-haiku-4-5" }

const html = "<html><body><h1>502 Bad Gateway</h1></body></html>"

const notACompletion = "answered HTTP 200 with a body that is not a chat completion"

const openAi = (choice: Record<string, unknown>, usage: unknown = { prompt_tokens: 1, completion_tokens: 1 }) => ({
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop", ...choice }],
  usage
})

const anthropic = (content: unknown, usage: unknown = { input_tokens: 1, output_tokens: 1 }) => ({
  type: "message",
  role: "assistant",
  content,
  stop_reason: "end_turn",
  usage
})

const shared: ReadonlyArray<MalformedAnswer> = [
  {
    name: "an HTML page from a proxy",
    step: { raw: html, headers: { "content-type": "text/html" } },
    problem: `${notACompletion}: body: expected a JSON object, got text`
  },
  { name: "an HTML page labelled as JSON", step: { raw: html }, problem: "answered with a body that is not valid JSON" },
  { name: "JSON null", step: { json: null }, problem: `${notACompletion}: body: expected object` },
  { name: "a JSON array", step: { json: [] }, problem: `${notACompletion}: body: expected object` }
]

export const malformedAnswers: Record<Protocol, ReadonlyArray<MalformedAnswer>> = {
  openai: [
    ...shared,
    { name: "an empty object", step: { json: {} }, problem: `${notACompletion}: choices: required field is missing` },
    {
      name: "an error object",
      step: { json: { error: { message: "You exceeded your current quota", type: "insufficient_quota" } } },
      problem: `${notACompletion}: it reports an error: You exceeded your current quota`
    },
    {
      name: "an empty choices list",
      step: { json: { choices: [] } },
      problem: `${notACompletion}: choices: expected a non-empty list`
    },
    {
      name: "a number as content",
      step: { json: openAi({ message: { role: "assistant", content: 42 } }) },
      problem: `${notACompletion}: choices[0].message.content: expected string | null`
    },
    {
      name: "a message without content",
      step: { json: openAi({ message: { role: "assistant" } }) },
      problem: `${notACompletion}: choices[0].message.content: required field is missing`
    },
    {
      name: "negative usage",
      step: { json: openAi({}, { prompt_tokens: -3, completion_tokens: 1 }) },
      problem: `${notACompletion}: usage.prompt_tokens: expected a value greater than or equal to 0`
    },
    {
      name: "fractional usage",
      step: { json: openAi({}, { prompt_tokens: 3, completion_tokens: 1.5 }) },
      problem: `${notACompletion}: usage.completion_tokens: expected an integer`
    },
    {
      name: "log-probabilities that are not numbers",
      step: { json: openAi({ logprobs: { content: [{ token: "hi", logprob: "high" }] } }) },
      problem: `${notACompletion}: choices[0].logprobs.content[0].logprob: expected number`
    },
    {
      name: "an infinite log-probability",
      step: { raw: JSON.stringify(openAi({ logprobs: { content: [{ token: "hi", logprob: 7 }] } })).replace(":7", ":1e400") },
      problem: `${notACompletion}: choices[0].logprobs.content[0].logprob: expected a finite number`
    }
  ],
  anthropic: [
    ...shared,
    { name: "an empty object", step: { json: {} }, problem: `${notACompletion}: content: required field is missing` },
    {
      name: "an error object",
      step: { json: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } },
      problem: `${notACompletion}: it reports an error: Overloaded`
    },
    {
      name: "an empty content list",
      step: { json: anthropic([]) },
      problem: `${notACompletion}: content: expected a non-empty list`
    },
    {
      name: "a number as text",
      step: { json: anthropic([{ type: "text", text: 42 }]) },
      problem: `${notACompletion}: content[0].text: expected string`
    },
    {
      name: "a text block without text",
      step: { json: anthropic([{ type: "text" }]) },
      problem: `${notACompletion}: content[0].text: a text block needs its text`
    },
    {
      name: "negative usage",
      step: { json: anthropic([{ type: "text", text: "hi" }], { input_tokens: -3, output_tokens: 1 }) },
      problem: `${notACompletion}: usage.input_tokens: expected a value greater than or equal to 0`
    },
    {
      name: "fractional usage",
      step: { json: anthropic([{ type: "text", text: "hi" }], { input_tokens: 3, output_tokens: 1.5 }) },
      problem: `${notACompletion}: usage.output_tokens: expected an integer`
    }
  ]
}

/**
 * One batch holding a good question and every malformed answer of both protocols; `script` tells
 * the fake which prompt gets which answer.
 */
export const malformedBatch = () => {
  const cases = (["openai", "anthropic"] as const).flatMap((protocol) =>
    malformedAnswers[protocol].map((answer) => ({ protocol, ...answer }))
  )
  const questions = [
    { index: 1, question: "a good question" },
    ...cases.map((c, i) => ({ index: i + 2, question: `malformed ${i + 2}: ${c.name}`, model: modelOf[c.protocol] }))
  ]
  return {
    batch: { questions },
    script: (upstream: { readonly always: (match: string, step: Step) => void }) =>
      cases.forEach((c, i) => upstream.always(`malformed ${i + 2}:`, c.step)),
    /** The expected error phrase of item `index`, with its provider's name in front. */
    expected: new Map(cases.map((c, i) => [i + 2, `${c.protocol} ${c.problem}`]))
  }
}
