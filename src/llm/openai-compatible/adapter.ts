/** The OpenAI chat-completions protocol: OpenAI and every OpenAI-compatible server. */
import type { ProviderAdapter } from "../adapter.ts"
import { makeOpenAiBatchApi } from "./batch.ts"
import { classify } from "./classify.ts"
import { decodeChatCompletion } from "./decode.ts"
import { makeOpenAiTransport } from "./transport.ts"

export const openAiCompatible: ProviderAdapter = {
  decode: decodeChatCompletion,
  classify,
  isCutOff: (finishReason) => finishReason === "length",
  makeTransport: makeOpenAiTransport,
  makeBatchApi: makeOpenAiBatchApi
}
