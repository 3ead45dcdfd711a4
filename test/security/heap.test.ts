/**
 * No request of any size kills the process (issue 23): the real service, run with the heap it
 * ships with (package.json `start`), is sent bodies past every limit on every surface (POST
 * /batches as JSONL and JSON, /mcp, /rpc) and malformed HTTP, and must answer each with a JSON
 * 4xx and still answer /health. One process for the whole file; its RSS is logged after each.
 */
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { connect } from "node:net"
import packageJson from "../../package.json" with { type: "json" }
import { type RunningService, startService } from "../support/service.ts"

/** The V8 flags of `pnpm start` (and the Dockerfile's CMD, which test/ship checks is the same). */
const shippedNodeOptions = packageJson.scripts.start.split(" ").filter((word) => word.startsWith("--"))

class Service extends Context.Service<Service, RunningService>()("test/heap/Service") {}
const ServiceLayer = Layer.effect(Service, startService({ PORT: "0" }, "src/main.ts", shippedNodeOptions))

interface Answer {
  readonly status: number
  readonly body: string
}

/** The answer in `text` is complete: its head, and as much body as its Content-Length says (or the last chunk). */
const isComplete = (text: string) => {
  const split = text.indexOf("\r\n\r\n")
  if (split === -1) return false
  const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, split))
  return length === null ? text.endsWith("0\r\n\r\n") : Buffer.byteLength(text.slice(split + 4)) >= Number(length[1])
}

/**
 * Sends raw bytes, as fast as the server reads them, and reads one answer. Writing stops once the
 * answer has come: a server may answer (a 413) before the body ends, and goes on reading the rest
 * of it only to discard it.
 */
const raw = (url: string, pieces: Iterable<string>) =>
  Effect.callback<string, Error>((resume) => {
    const { hostname, port } = new URL(url)
    let answer = ""
    const socket = connect(Number(port), hostname, async () => {
      for (const piece of pieces) {
        if (socket.destroyed || answer !== "") return
        if (!socket.write(piece)) await new Promise((ready) => socket.once("drain", ready))
      }
    })
    socket.on("data", (chunk) => {
      answer += chunk.toString()
      if (isComplete(answer)) socket.destroy()
    })
    // A server that answered and closed before the last piece was written: the write fails (EPIPE)
    // after the answer came, which is what is checked.
    socket.on("error", (error) => resume(isComplete(answer) ? Effect.succeed(answer) : Effect.fail(error)))
    socket.on("close", () =>
      resume(answer === "" ? Effect.fail(new Error("the connection closed without an answer")) : Effect.succeed(answer))
    )
    return Effect.sync(() => socket.destroy())
  })

/** Status and body of a raw HTTP/1.1 answer (with Content-Length or chunked). */
const parseAnswer = (text: string): Answer => {
  const split = text.indexOf("\r\n\r\n")
  const head = text.slice(0, split).toLowerCase()
  let body = text.slice(split + 4)
  if (head.includes("transfer-encoding: chunked")) {
    let decoded = ""
    for (let at = 0; at < body.length;) {
      const lineEnd = body.indexOf("\r\n", at)
      const size = parseInt(body.slice(at, lineEnd), 16)
      if (!(size > 0)) break
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size)
      at = lineEnd + 2 + size + 2
    }
    body = decoded
  }
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), body }
}

/** POSTs `pieces`, chunked unless `headers` give a Content-Length (then only what is given is sent). */
function* requestBytes(path: string, headers: Record<string, string>, pieces: Iterable<string>, end: boolean) {
  const declared = "content-length" in headers
  const head = Object.entries({ host: "127.0.0.1", ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`).join("")
  yield `POST ${path} HTTP/1.1\r\n${head}${declared ? "" : "transfer-encoding: chunked\r\n"}\r\n`
  for (const piece of pieces) yield declared ? piece : `${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`
  if (!declared && end) yield "0\r\n\r\n"
}

/** `end: false` leaves a chunked body unfinished: the server must answer from what it has read. */
const post = (url: string, path: string, headers: Record<string, string>, pieces: Iterable<string>, end = true) =>
  Effect.map(raw(url, requestBytes(path, headers, pieces, end)), parseAnswer)

/**
 * A chunked body a megabyte over MAX_JOB_BODY_BYTES, left unfinished: the server answers once it
 * has read past the limit, and the client, sending nothing more, reads the answer (a client still
 * writing when the server closes may lose it to the connection reset).
 */
const overLimit = (url: string, path: string, headers: Record<string, string>, head: string, piece: string) =>
  Effect.gen(function*() {
    const probe = yield* post(url, path, { ...headers, "content-length": String(2 ** 40) }, [])
    const limit = Number(/larger than (\d+) bytes/.exec(errorOf(probe))?.[1])
    expect(limit).toBeGreaterThan(0)
    const count = Math.ceil((limit + 1_000_000) / piece.length)
    return yield* post(url, path, headers, [head, ...Array.from({ length: count }, () => piece)], false)
  })

const rssMiB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Math.round(Number(line?.replace(/\D/g, "") ?? 0) / 1024)
}

/** The process is alive and healthy; its RSS goes to the test output. */
const stillServes = (what: string) =>
  Effect.gen(function*() {
    const service = yield* Service
    expect(service.child.exitCode, service.output().slice(-2_000)).toBeNull()
    const health = yield* Effect.promise(() => fetch(`${service.url}/health`))
    expect(health.status).toBe(200)
    console.log(`heap.test: after ${what}: RSS ${rssMiB(service.child.pid!)} MiB`)
  })

const errorOf = (answer: Answer): string => (JSON.parse(answer.body) as { error: string }).error

/** `count` JSONL lines of a tiny question, in pieces of ~64 KiB. */
function* jsonlLines(count: number, line = (n: number) => `{"question":"q${n}"}\n`) {
  let piece = ""
  for (let n = 1; n <= count; n++) {
    piece += line(n)
    if (piece.length >= 65_536) {
      yield piece
      piece = ""
    }
  }
  if (piece !== "") yield piece
}

const jsonl = { "content-type": "application/jsonl" }
const json = { "content-type": "application/json" }
const mcpHeaders = { ...json, accept: "application/json, text/event-stream" }

layer(ServiceLayer, { timeout: 120_000 })("a service with the shipped 256 MB heap", (it) => {
  it.effect("refuses a 34 MB JSONL job of 2,000,000 questions (which used to exhaust its heap), by size or by count", () =>
    Effect.gen(function*() {
      const { url } = yield* Service
      const lines = [...jsonlLines(2_000_000)]
      const bytes = lines.reduce((sum, piece) => sum + piece.length, 0)
      expect(bytes).toBeGreaterThan(34_000_000)
      // Declared: refused before a byte is read.
      const declared = yield* post(url, "/batches", { ...jsonl, "content-length": String(bytes) }, lines)
      expect(declared.status).toBe(413)
      expect(errorOf(declared)).toContain("MAX_JOB_BODY_BYTES")
      // Chunked: lines are decoded as they arrive, and reading stops past MAX_JOB_SIZE.
      const chunked = yield* post(url, "/batches", jsonl, lines)
      expect(chunked.status).toBe(400)
      expect(errorOf(chunked)).toContain("more than 50000 questions, the limit (MAX_JOB_SIZE)")
      yield* stillServes("2,000,000-line JSONL jobs")
    }))

  it.effect("accepts a 17 MB JSONL job of 50,000 long questions, streamed into the store", () =>
    Effect.gen(function*() {
      const { url } = yield* Service
      const prompt = "Summarise the following paragraph. ".repeat(10)
      const lines = [...jsonlLines(50_000, (n) => `${JSON.stringify({ question: `${prompt}${n}` })}\n`)]
      const answer = yield* post(url, "/batches", jsonl, lines)
      expect(answer.status, answer.body).toBe(202)
      const job = JSON.parse(answer.body) as { id: string; counts: { total: number } }
      expect(job.counts.total).toBe(50_000)
      yield* Effect.promise(() => fetch(`${url}/batches/${job.id}/cancel`, { method: "POST" }))
      yield* stillServes("a 50,000-question JSONL job")
    }), 90_000) // ~13 s alone: 50,000 rows stored before the answer; far more on a loaded machine.

  it.effect("refuses a JSON job within MAX_JOB_BODY_BYTES whose parse would hold too many values", () =>
    Effect.gen(function*() {
      const { url } = yield* Service
      // `{}` costs ~20 heap bytes per body byte once parsed: 20 MB of them would need 400 MB.
      const answer = yield* post(url, "/batches", json, [`{"questions":[`, "{},".repeat(7_000_000), "{}]}"])
      expect(answer.status).toBe(413)
      expect(errorOf(answer)).toContain("MAX_JSON_VALUES")
      yield* stillServes("a 21 MB JSON body of empty objects")
    }))

  it.effect("refuses a 200 MB /mcp tools/call before reading it, and a chunked one at the limit", () =>
    Effect.gen(function*() {
      const { url } = yield* Service
      const head = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"batch_submit","arguments":{"questions":[`
      // Only its first bytes are sent: the answer comes before the rest would be read.
      const declared = yield* post(url, "/mcp", { ...mcpHeaders, "content-length": String(200 * 1024 * 1024) }, [head])
      expect(declared.status).toBe(413)
      expect(errorOf(declared)).toContain("MAX_JOB_BODY_BYTES")
      const question = `{"index":1,"question":"${"x".repeat(1_000_000)}"},`
      const chunked = yield* overLimit(url, "/mcp", mcpHeaders, head, question)
      expect(chunked.status).toBe(413)
      expect(errorOf(chunked)).toContain("MAX_JOB_BODY_BYTES")
      const values = yield* post(url, "/mcp", mcpHeaders, [head, "{},".repeat(7_000_000), "{}]}}}"])
      expect(values.status).toBe(413)
      expect(errorOf(values)).toContain("MAX_JSON_VALUES")
      yield* stillServes("oversized /mcp bodies")
    }))

  it.effect("refuses an oversized /rpc body, and one whose parse would hold too many values", () =>
    Effect.gen(function*() {
      const { url } = yield* Service
      const head = `{"_tag":"Request","id":"1","tag":"Submit","payload":{"questions":[`
      const chunked = yield* overLimit(url, "/rpc", json, head, `"${"x".repeat(1_000_000)}",`)
      expect(chunked.status).toBe(413)
      expect(errorOf(chunked)).toContain("MAX_JOB_BODY_BYTES")
      const values = yield* post(url, "/rpc", json, [head, "{},".repeat(7_000_000), "{}]},\"headers\":[]}\n"])
      expect(values.status).toBe(413)
      expect(errorOf(values)).toContain("MAX_JSON_VALUES")
      yield* stillServes("oversized /rpc bodies")
    }))

  it.effect("answers malformed HTTP with a JSON error body: 431, a bad Content-Length, bad chunked encoding", () =>
    Effect.gen(function*() {
      const { url } = yield* Service
      const cases = [
        [`GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`, 431, "headers are too large"],
        [`POST /ask HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: abc\r\n\r\n{}`, 400, "Content-Length"],
        [`POST /ask HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400, "chunked"]
      ] as const
      for (const [request, status, phrase] of cases) {
        const answer = yield* raw(url, [request])
        expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `))
        expect(answer.toLowerCase()).toContain("content-type: application/json")
        const body = answer.slice(answer.indexOf("\r\n\r\n") + 4)
        expect((JSON.parse(body) as { error: string }).error).toContain(phrase)
      }
      yield* stillServes("malformed HTTP")
    }))
})
