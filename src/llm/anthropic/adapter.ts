/** Anthropic's Messages API. */
import type { ProviderAdapter } from "../adapter.ts"
import { classify } from "./classify.ts"
import { makeAnthropicTransport } from "./transport.ts"

export const anthropic: ProviderAdapter = {
  classify,
  isCutOff: (finishReason) => finishReason === "max_tokens",
  makeTransport: makeAnthropicTransport
}
