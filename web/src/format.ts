/** How numbers, money and times read on screen. */

export const count = (n: number): string => n.toLocaleString("en-US")

/** USD with enough digits for fractions of a cent; null is a price the service does not know. */
export const usd = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? "unknown"
    : value === 0
    ? "$0"
    : value < 0.01
    ? `$${value.toPrecision(2)}`
    : `$${value.toFixed(value < 10 ? 4 : 2)}`

/** "12 s ago", "3 min ago", "5 h ago", "2 d ago". */
export const age = (iso: string, now = Date.now()): string => {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86_400)} d ago`
}

export const duration = (ms: number): string => ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`

export const tokens = (usage: { readonly prompt_tokens: number; readonly completion_tokens: number } | null) =>
  usage === null ? "none" : `${count(usage.prompt_tokens)} in, ${count(usage.completion_tokens)} out`
