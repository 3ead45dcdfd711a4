/**
 * Counting a prompt's tokens before it is sent (estimates and the budget check at submit). OpenAI
 * models are counted with their own encoding (`gpt-tokenizer`, loaded on first use: its tables take
 * ~2 s to load on the CI machine); every other model gets the chars/4 estimate the rate limits use.
 */
import { Effect } from "effect"
import type { ChatMessage } from "../llm/types.ts"
import type { ResolvedModel } from "../domain/providers.ts"
import { estimatePromptTokens } from "./rateLimits.ts"

/** How a model's prompts are counted: `exact` only with the model's own tokenizer. */
export interface TokenCounter {
  /** `o200k_base`, `cl100k_base`, or `chars/4`. */
  readonly tokenizer: string
  readonly exact: boolean
  /** The tokens a chat request's messages are billed as (message framing included when exact). */
  readonly countMessages: (messages: ReadonlyArray<ChatMessage>) => number
}

type Encoding = "o200k_base" | "cl100k_base"

/** OpenAI's model families and their encodings (gpt-tokenizer's README, "Supported models"). */
const encodingRules: ReadonlyArray<readonly [RegExp, Encoding]> = [
  [/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)/, "o200k_base"],
  [/^(gpt-4|gpt-3\.5)/, "cl100k_base"]
]

/** The encoding of an OpenAI model, or undefined when it is not one we know. */
const encodingOf = (model: ResolvedModel): Encoding | undefined =>
  model.provider === "openai" ? encodingRules.find(([pattern]) => pattern.test(model.name))?.[1] : undefined

/**
 * OpenAI's chat framing (its cookbook, "How to count tokens with tiktoken"): each message costs 3
 * tokens besides its role and content, and every reply is primed with 3 more.
 */
const tokensPerMessage = 3
const replyPriming = 3

/** chars/4 (the rate limiter's estimate): for other providers, and a model that could not be resolved. */
export const approximateCounter: TokenCounter = {
  tokenizer: "chars/4",
  exact: false,
  countMessages: (messages) => estimatePromptTokens(messages.map((message) => message.content))
}

const exactCounter = (tokenizer: Encoding, count: (text: string) => number): TokenCounter => ({
  tokenizer,
  exact: true,
  countMessages: (messages) =>
    messages.reduce(
      (total, message) => total + tokensPerMessage + count(message.role) + count(message.content),
      replyPriming
    )
})

const plainText = { disallowedSpecial: new Set<string>() }

const loaded = new Map<Encoding, TokenCounter>()

const load = (encoding: Encoding): Effect.Effect<TokenCounter> => {
  const known = loaded.get(encoding)
  if (known !== undefined) return Effect.succeed(known)
  const module = encoding === "o200k_base"
    ? Effect.promise(() => import("gpt-tokenizer/encoding/o200k_base"))
    : Effect.promise(() => import("gpt-tokenizer/encoding/cl100k_base"))
  return Effect.map(module, ({ countTokens }) => {
    // A prompt that spells a special token (`<|endoftext|>`) is billed as plain text, not refused.
    const counter = exactCounter(encoding, (text) => countTokens(text, plainText))
    loaded.set(encoding, counter)
    return counter
  })
}

/** The best counter for `model`: its own encoding when it is a known OpenAI model, else chars/4. */
export const tokenCounterFor = (model: ResolvedModel): Effect.Effect<TokenCounter> => {
  const encoding = encodingOf(model)
  return encoding === undefined ? Effect.succeed(approximateCounter) : load(encoding)
}
