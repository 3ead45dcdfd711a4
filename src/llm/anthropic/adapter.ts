/** Anthropic's Messages API. */
import type { ProviderAdapter } from "../adapter.ts"
import { makeAnthropicBatchApi } from "./batch.ts"
import { classify } from "./classify.ts"
import { decodeMessage } from "./decode.ts"
import { makeAnthropicTransport } from "./transport.ts"

export const anthropic: ProviderAdapter = {
  decode: decodeMessage,
  classify,
  isCutOff: (finishReason) => finishReason === "max_tokens",
  makeTransport: makeAnthropicTransport,
  makeBatchApi: makeAnthropicBatchApi
}
