/**
 * The bench's upstream, run as its own process: a bare `node:http` server answering OpenAI
 * chat-completions at once or after a set delay, and counting the peak number of calls in flight.
 *
 *   POST /v1/chat/completions   the canned answer (after `delayMs`)
 *   POST /_control              body {"delayMs": n}: sets the delay and resets the counters
 *   GET  /_stats                {"calls", "peak", "connections"} since the last /_control (connections: opened)
 *
 * Prints `{"port": n}` on stdout once listening (PORT=0 picks a free port).
 */
import { createServer, type IncomingMessage } from "node:http"

const answer = Buffer.from(JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 0,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 }
}))
const answerHeaders = { "content-type": "application/json", "content-length": String(answer.length) }

let delayMs = 0
let calls = 0
let inFlight = 0
let peak = 0
let connections = 0

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

const server = createServer((request, response) => {
  if (request.url === "/_stats") {
    response.end(JSON.stringify({ calls, peak, connections }))
    return
  }
  if (request.url === "/_control") {
    void readBody(request).then((text) => {
      const control: unknown = JSON.parse(text)
      const requested = typeof control === "object" && control !== null && "delayMs" in control
        ? control.delayMs
        : 0
      delayMs = typeof requested === "number" ? requested : 0
      calls = 0
      peak = 0
      connections = 0
      response.end("{}")
    })
    return
  }
  calls += 1
  inFlight += 1
  if (inFlight > peak) peak = inFlight
  let done = false
  const finish = () => {
    if (done) return
    done = true
    inFlight -= 1
  }
  response.on("finish", finish)
  response.on("close", finish)
  // The body is read (so the connection stays reusable) but not parsed: any prompt gets the answer.
  request.resume()
  request.on("end", () => {
    const send = () => response.writeHead(200, answerHeaders).end(answer)
    if (delayMs > 0) setTimeout(send, delayMs)
    else send()
  })
})

// Gone with the bench: stdin is the bench's pipe, closed when it exits (even when killed).
process.stdin.on("end", () => process.exit(0)).resume()

server.on("connection", () => {
  connections += 1
})
server.keepAliveTimeout = 60_000
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("upstream: no TCP address")
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
})
