/**
 * The MCP spec's DNS-rebinding rule: a browser page may only reach /mcp from an allowed Origin.
 * Loopback origins (any port) are allowed, so local tools such as the MCP Inspector work; a
 * rebinding attack cannot forge one, because its page keeps its own host name as Origin.
 */
const loopbackHost = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

export const isLoopbackOrigin = (origin: string): boolean => {
  if (!URL.canParse(origin)) return false
  const url = new URL(origin)
  return (url.protocol === "http:" || url.protocol === "https:") && loopbackHost.test(url.hostname)
}

/** `allowed` holds exact origins (`https://app.example.com`), as read from MCP_ALLOWED_ORIGINS. */
export const isAllowedOrigin = (origin: string, allowed: ReadonlyArray<string>): boolean =>
  isLoopbackOrigin(origin) || allowed.includes(URL.canParse(origin) ? new URL(origin).origin : origin)
