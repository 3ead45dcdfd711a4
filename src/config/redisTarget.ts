/** `redis://host:port/db` without credentials: safe to log and to show in `/health`. */
export const describeRedisTarget = (url: string): string => {
  if (!URL.canParse(url)) return "redis (unparseable REDIS_URL)"
  const parsed = new URL(url)
  const db = parsed.pathname.replace(/^\//, "") || "0"
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || "6379"}/${db}`
}
