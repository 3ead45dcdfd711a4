/**
 * Keeps secrets out of anything a client or a log can see: the configured keys by value, and
 * anything that looks like a key or token (providers echo parts of keys in their error messages).
 */
import { Option, Redacted } from "effect"
import type { AppConfigShape } from "./AppConfig.ts"

/** Every secret value in the configuration, longest first so overlapping keys are fully masked. */
export const secretValues = (config: AppConfigShape): ReadonlyArray<string> =>
  [
    ...Object.values(config.providers).flatMap((p) => Option.match(p.apiKey, { onNone: () => [], onSome: (k) => [Redacted.value(k)] })),
    ...config.apiKeys.map(Redacted.value)
  ].filter((value) => value.length >= 4).toSorted((a, b) => b.length - a.length)

const keyLike: ReadonlyArray<RegExp> = [
  /\b(sk|pk|rk|xai|gsk|fw)[-_][A-Za-z0-9_*.-]{8,}/g,
  /\bAIza[A-Za-z0-9_-]{20,}/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=*-]{8,}/gi
]

export const scrubSecrets = (text: string, secrets: ReadonlyArray<string>): string => {
  let scrubbed = redactSecretValues(text, secrets)
  for (const pattern of keyLike) scrubbed = scrubbed.replace(pattern, "[redacted]")
  return scrubbed
}

/**
 * The configured values only, for successful answers: an answer may rightly hold key-shaped words
 * (`pk_orders` in a SQL answer). Returns `text` itself when it holds none (the usual case).
 */
export const redactSecretValues = (text: string, secrets: ReadonlyArray<string>): string => {
  let scrubbed = text
  for (const secret of secrets) {
    if (scrubbed.includes(secret)) scrubbed = scrubbed.replaceAll(secret, "[redacted]")
  }
  return scrubbed
}
