/**
 * Traces end to end: the real server with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP
 * receiver in this test (effect's exporter sends OTLP JSON), against the fake upstream. The server
 * flushes its spans when it stops, so each test reads them once its server is gone.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BatchResponse } from "../../src/domain/Batch.ts"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

interface OtlpValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly doubleValue?: number
}

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: OtlpValue }>
  readonly events?: ReadonlyArray<{ readonly name: string; readonly attributes: OtlpSpan["attributes"] }>
  readonly status?: { readonly message?: string }
}

interface TracesBody {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: OtlpValue }> }
    readonly scopeSpans: ReadonlyArray<{ readonly spans: ReadonlyArray<OtlpSpan> }>
  }>
}

/** An OTLP/HTTP receiver on loopback: keeps every JSON body POSTed to /v1/traces. */
const otlpReceiver = Effect.acquireRelease(
  Effect.promise(() => {
    const bodies: Array<TracesBody> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        if (req.url === "/v1/traces" && req.headers["content-type"]?.startsWith("application/json")) {
          bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as TracesBody)
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    return new Promise<{ readonly url: string; readonly bodies: Array<TracesBody>; readonly close: () => void }>(
      (resolve) =>
        server.listen(0, "127.0.0.1", () =>
          resolve({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            bodies,
            close: () => server.close()
          }))
    )
  }),
  (receiver) => Effect.sync(receiver.close)
)

const spansOf = (bodies: ReadonlyArray<TracesBody>): ReadonlyArray<OtlpSpan> =>
  bodies.flatMap((body) => body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)))

const attribute = (span: OtlpSpan, key: string): string | number | undefined => {
  const value = span.attributes.find((entry) => entry.key === key)?.value
  if (value === undefined) return undefined
  if (value.intValue !== undefined) return Number(value.intValue)
  return value.stringValue ?? value.doubleValue
}

describe("traces over OTLP/HTTP", () => {
  it.live("a span per request, per question and per upstream attempt, with GenAI attributes, parent to child", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      const upstream = yield* FakeUpstream
      upstream.script("flaky", { status: 500 })
      yield* askBatch({
        questions: [
          { index: 1, question: "flaky one", model: "openai/gpt-4o-mini" },
          { index: 2, question: "steady two", model: "anthropic/claude-haiku-4-5" }
        ]
      }).pipe(Effect.provide(TestServer.layerOn({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: "llm-batch-test"
      })))

      const spans = spansOf(receiver.bodies)
      const resource = receiver.bodies[0]!.resourceSpans[0]!.resource.attributes
      expect(resource.find((entry) => entry.key === "service.name")?.value.stringValue).toBe("llm-batch-test")

      const request = spans.find((span) => span.name === "POST /ask")!
      expect(request).toBeDefined()
      expect(attribute(request, "http.response.status_code")).toBe(200)

      const questions = spans.filter((span) => span.name === "question")
      expect(questions.map((span) => attribute(span, "llm_batch.question.index")).toSorted()).toEqual([1, 2])
      for (const question of questions) {
        expect(question.traceId).toBe(request.traceId)
        expect(question.parentSpanId).toBe(request.spanId)
      }

      const attempts = spans.filter((span) => attribute(span, "gen_ai.operation.name") === "chat")
      // What the fake upstream saw: one attempt span per call, the 500 included.
      expect(attempts).toHaveLength(upstream.requests.length)
      expect(attempts).toHaveLength(3)
      const question = (index: number) => questions.find((span) => attribute(span, "llm_batch.question.index") === index)!
      const openAi = attempts.filter((span) => span.parentSpanId === question(1).spanId)
      expect(openAi.map((span) => attribute(span, "error.type"))).toEqual(expect.arrayContaining(["500", undefined]))
      for (const span of openAi) {
        expect(span.name).toBe("chat gpt-4o-mini")
        expect(attribute(span, "gen_ai.system")).toBe("openai")
        expect(attribute(span, "gen_ai.request.model")).toBe("gpt-4o-mini")
      }
      const answered = openAi.find((span) => attribute(span, "error.type") === undefined)!
      // The fake's usage: OpenAI 10 + 5 tokens, Anthropic 12 + 6.
      expect(attribute(answered, "gen_ai.usage.input_tokens")).toBe(10)
      expect(attribute(answered, "gen_ai.usage.output_tokens")).toBe(5)

      const [anthropic] = attempts.filter((span) => span.parentSpanId === question(2).spanId)
      expect(attribute(anthropic!, "gen_ai.system")).toBe("anthropic")
      expect(attribute(anthropic!, "gen_ai.request.model")).toBe("claude-haiku-4-5")
      expect(attribute(anthropic!, "gen_ai.usage.input_tokens")).toBe(12)
      expect(attribute(anthropic!, "gen_ai.usage.output_tokens")).toBe(6)
      expect(anthropic!.kind).toBe(3) // SPAN_KIND_CLIENT
    }).pipe(Effect.provide(FakeUpstream.layer)))

  it.live("an upstream 500 that echoes the key reaches no exported span: attributes, events, stacks, status", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      const upstream = yield* FakeUpstream
      // A key-shaped one and one only known by its value: both rules of the scrubbing apply.
      const openAiKey = "sk-live-0123456789abcdefTRACED"
      const groqKey = "plain-groq-secret-in-a-trace"
      const echo = (key: string) => JSON.stringify({ error: { message: `upstream failed with key ${key}` } })
      upstream.always("openai leak", { status: 500, raw: echo(openAiKey) })
      upstream.always("groq leak", { status: 500, raw: echo(groqKey) })
      const response = yield* Effect.gen(function*() {
        const server = yield* TestServer
        return (yield* server.post("/ask", {
          questions: [
            { index: 1, question: "openai leak", model: "openai/gpt-4o-mini" },
            { index: 2, question: "groq leak", model: "groq/llama-3.1-8b-instant" }
          ]
        })).body as BatchResponse
      }).pipe(Effect.provide(TestServer.layerOn({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OPENAI_API_KEY: openAiKey,
        GROQ_API_KEY: groqKey,
        LLM_MAX_RETRIES: "0"
      })))
      // The answer is redacted; the spans carry the same failures, with their exceptions.
      expect(response.results.map((result) => result.error_message)).toEqual([
        expect.stringContaining("[redacted]"),
        expect.stringContaining("[redacted]")
      ])
      const exported = JSON.stringify(receiver.bodies)
      expect(exported).toContain("exception.stacktrace")
      expect(exported).toContain("upstream failed with key [redacted]")
      const failed = spansOf(receiver.bodies).filter((span) => attribute(span, "error.type") === "500")
      expect(failed).toHaveLength(2)
      for (const span of failed) {
        expect(span.status?.message).toContain("[redacted]")
        const exception = span.events?.find((event) => event.name === "exception")
        const text = (key: string) => exception?.attributes.find((entry) => entry.key === key)?.value.stringValue
        expect(text("exception.message")).toContain("[redacted]")
        expect(text("exception.stacktrace")).toContain("[redacted]")
      }
      for (const secret of [openAiKey, groqKey]) expect(exported).not.toContain(secret)
    }).pipe(Effect.provide(FakeUpstream.layer)))

  it.live("health checks are not traced", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      yield* Effect.gen(function*() {
        const server = yield* TestServer
        yield* server.get("/health")
        yield* server.get("/models/response")
      }).pipe(Effect.provide(TestServer.layerOn({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })))
      const names = spansOf(receiver.bodies).map((span) => span.name)
      expect(names).toContain("GET /models/response")
      expect(names).not.toContain("GET /health")
    }).pipe(Effect.provide(FakeUpstream.layer)))
})
