/**
 * The floor of any gateway that keeps the provider SDK, run as its own process: a bare `node:http`
 * server whose `POST /ask` parses the body, makes one `openai` SDK call (retries off, as in the
 * service; the SDK's own fetch) for the first question and answers `{"results": [...]}`. No
 * validation, engine, cache, metrics or auth: whatever llm-batch does per request costs more than
 * this, so its req/s is a ceiling for ours (bench/portkey.ts runs it beside Portkey).
 *
 *   node bench/floorGateway.ts <upstream base URL>   → prints {"port": n} once listening
 */
import { createServer, type ServerResponse } from "node:http"
import OpenAI from "openai"

const [baseURL = ""] = process.argv.slice(2)
const client = new OpenAI({ apiKey: "sk-bench", baseURL, maxRetries: 0 })

const send = (response: ServerResponse, status: number, value: unknown) => {
  const body = Buffer.from(JSON.stringify(value))
  response.writeHead(status, { "content-type": "application/json", "content-length": String(body.length) }).end(body)
}

const server = createServer((request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { questions: Array<{ question: string }> }
    client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: body.questions[0]!.question }],
      temperature: 0.2,
      max_tokens: 1000,
      logprobs: true
    }).then(
      (completion) =>
        send(response, 200, {
          results: [{ index: 1, status: "success", result: completion.choices[0]?.message.content, usage: completion.usage }]
        }),
      (error: unknown) => send(response, 502, { error: String(error) })
    )
  })
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address !== null ? address.port : 0 })}\n`)
})
process.stdin.on("close", () => server.close(() => process.exit(0)))
process.stdin.resume()
