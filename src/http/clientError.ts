/**
 * Requests Node's HTTP parser refuses before any route sees them (headers too large, a bad
 * Content-Length, broken chunked encoding, a request that took too long) get the JSON error body
 * every 4xx promises: Node's own answer to them is a bare status line.
 */
import type { Duplex } from "node:stream"

/** The status and message for a parser error's code (llhttp's `HPE_*`, or Node's `ERR_*`). */
export const describeClientError = (code: string | undefined): { readonly status: number; readonly error: string } => {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, error: "request headers are too large (Node's limit, 16 KiB by default)" }
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, error: "chunk extensions are too large" }
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, error: "the request took too long to arrive" }
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
      return { status: 400, error: "invalid Content-Length header" }
    case "HPE_INVALID_CHUNK_SIZE":
    case "HPE_INVALID_TRANSFER_ENCODING":
    case "HPE_STRICT":
      return { status: 400, error: "invalid chunked transfer encoding" }
    default:
      return { status: 400, error: `malformed HTTP request${code === undefined ? "" : ` (${code})`}` }
  }
}

const reasons: Readonly<Record<number, string>> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  431: "Request Header Fields Too Large"
}

/**
 * A `clientError` listener for Node's HTTP server. Like Node's default it answers only when nothing
 * was written on the socket yet (a response under way cannot be replaced), then closes it.
 */
export const answerClientError = (error: Error & { readonly code?: string }, socket: Duplex & { readonly bytesWritten?: number }) => {
  if (error.code === "ECONNRESET" || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
    socket.destroy()
    return
  }
  const { error: message, status } = describeClientError(error.code)
  const body = JSON.stringify({ error: message })
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status] ?? "Bad Request"}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
}
