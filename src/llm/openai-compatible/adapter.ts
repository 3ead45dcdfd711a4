/** The OpenAI chat-completions protocol: OpenAI and every OpenAI-compatible server. */
import type { ProviderAdapter } from "../adapter.ts"
import { classify } from "./classify.ts"
import { makeOpenAiTransport } from "./transport.ts"

export const openAiCompatible: ProviderAdapter = {
  classify,
  isCutOff: (finishReason) => finishReason === "length",
  makeTransport: makeOpenAiTransport
}
