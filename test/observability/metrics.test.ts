/**
 * GET /metrics on the real server after batches against the fake upstream, parsed by a Prometheus
 * text-format parser: the counters say what the fake upstream saw. Metrics are process-wide, so
 * each test asks a model of its own, or compares before and after.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import parsePrometheusTextFormat, { type MetricFamily } from "parse-prometheus-text-format"
import { askBatch } from "../support/ask.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { submitJob, waitForJob } from "../support/jobs.ts"
import { TestServer } from "../support/TestServer.ts"

const scrapeText = Effect.gen(function*() {
  const server = yield* TestServer
  const answer = yield* server.get("/metrics")
  expect(answer.status, answer.text).toBe(200)
  expect(answer.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
  return answer.text
})

const scrape = Effect.map(scrapeText, parsePrometheusTextFormat)

/** The value of the series of `name` with these labels (0 when there is none yet). */
const value = (families: ReadonlyArray<MetricFamily>, name: string, labels: Record<string, string>): number => {
  const sample = families.find((family) => family.name === name)?.metrics.find((metric) =>
    Object.entries(labels).every(([key, wanted]) => metric.labels?.[key] === wanted)
  )
  return Number(sample?.value ?? 0)
}

/**
 * The parser folds a histogram's labelled series into one (prom2json's old shape), so a series'
 * count is read from its `_count` line; the parser still checks the family's type.
 */
const histogramCount = (families: ReadonlyArray<MetricFamily>, text: string, name: string, labels: string): number => {
  expect(families.find((family) => family.name === name)?.type).toBe("HISTOGRAM")
  return Number(new RegExp(`^${name}_count\\{${labels}\\} (\\S+)$`, "m").exec(text)?.[1])
}

describe("GET /metrics", () => {
  it.live("counts upstream calls by status, tokens, questions and requests as the fake upstream saw them", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("flaky", { status: 500 })
      const model = "openai/metrics-counted"
      const before = yield* scrape
      yield* askBatch({
        questions: [
          { index: 1, question: "flaky one", model },
          { index: 2, question: "steady two", model },
          { index: 3, question: "steady three", model }
        ]
      })
      const text = yield* scrapeText
      const after = parsePrometheusTextFormat(text)

      const seen = upstream.requests.filter((request) => request.body["model"] === "metrics-counted")
      expect(seen).toHaveLength(4)
      const labels = { provider: "openai", model }
      expect(value(after, "llm_batch_upstream_calls_total", { ...labels, status: "500", reason: "server_error" })).toBe(1)
      expect(value(after, "llm_batch_upstream_calls_total", { ...labels, status: "200", reason: "ok" })).toBe(3)
      expect(histogramCount(after, text, "llm_batch_upstream_latency_seconds", `provider="openai",model="${model}"`))
        .toBe(seen.length)
      // The fake's OpenAI usage is 10 prompt + 5 completion tokens per answer.
      expect(value(after, "llm_batch_tokens_total", { model, type: "input" })).toBe(3 * 10)
      expect(value(after, "llm_batch_tokens_total", { model, type: "output" })).toBe(3 * 5)

      const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels)
      expect(delta("llm_batch_questions_total", { status: "success" })).toBe(3)
      expect(delta("llm_batch_cache_lookups_total", { result: "miss" })).toBe(3)
      expect(delta("llm_batch_http_requests_total", { route: "/ask", method: "POST", status: "200" })).toBe(1)
      // The first scrape itself was answered (and counted) before the second one read the counters.
      expect(delta("llm_batch_http_requests_total", { route: "/metrics", method: "GET", status: "200" })).toBe(1)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("counts cache hits, cost by model, and failed questions", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("refused", { status: 400 })
      const batch = { questions: [{ index: 1, question: "cached twice", model: "openai/gpt-4o-mini" }] }
      const before = yield* scrape
      yield* askBatch(batch)
      yield* askBatch(batch)
      yield* askBatch({ questions: [{ index: 1, question: "refused once", model: "openai/metrics-refused" }] })
      const after = yield* scrape
      const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels)

      expect(upstream.callsFor("cached twice")).toHaveLength(1)
      expect(delta("llm_batch_cache_lookups_total", { result: "hit" })).toBe(1)
      expect(delta("llm_batch_cost_usd_total", { model: "openai/gpt-4o-mini" })).toBeGreaterThan(0)
      expect(value(after, "llm_batch_upstream_calls_total", { model: "openai/metrics-refused", status: "400", reason: "bad_request" })).toBe(1)
      expect(delta("llm_batch_questions_total", { status: "error" })).toBe(1)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("counts jobs by the statuses they enter", () =>
    Effect.gen(function*() {
      const before = yield* scrape
      const job = yield* submitJob({ questions: [{ index: 1, question: "a job's question" }] })
      yield* waitForJob(job.id)
      const after = yield* scrape
      const delta = (status: string) =>
        value(after, "llm_batch_jobs_total", { status }) - value(before, "llm_batch_jobs_total", { status })
      expect([delta("queued"), delta("running"), delta("completed"), delta("failed")]).toEqual([1, 1, 1, 0])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("records nothing with METRICS=false", () =>
    Effect.gen(function*() {
      yield* askBatch({ questions: [{ index: 1, question: "unrecorded", model: "openai/metrics-off" }] })
      const text = yield* scrapeText
      expect(text).not.toContain("metrics-off")
    }).pipe(Effect.provide(TestServer.layer({ METRICS: "false" }))))

  it.live("needs a key when API_KEYS is set", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const refused = yield* server.get("/metrics")
      expect(refused.status).toBe(401)
      expect(refused.headers.get("www-authenticate")).toBe("Bearer")
      const answer = yield* Effect.promise(() =>
        fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer metrics-key" } })
      )
      expect(answer.status).toBe(200)
      expect(parsePrometheusTextFormat(yield* Effect.promise(() => answer.text())).length).toBeGreaterThan(0)
    }).pipe(Effect.provide(TestServer.layer({ API_KEYS: "metrics-key" }))))

  it.live("is open with METRICS_PUBLIC=true, while the rest still needs a key", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      expect((yield* server.get("/metrics")).status).toBe(200)
      expect((yield* server.get("/batches")).status).toBe(401)
    }).pipe(Effect.provide(TestServer.layer({ API_KEYS: "metrics-key", METRICS_PUBLIC: "true" }))))

  it.live("routes with ids and unknown paths get bounded route labels", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      yield* server.get("/batches/batch_does-not-exist")
      yield* server.get("/no/such/path")
      const after = yield* scrape
      expect(value(after, "llm_batch_http_requests_total", { route: "/batches/:id", status: "404" })).toBeGreaterThan(0)
      expect(value(after, "llm_batch_http_requests_total", { route: "other", status: "404" })).toBeGreaterThan(0)
      const routes = after.find((family) => family.name === "llm_batch_http_requests_total")!.metrics
        .map((metric) => metric.labels?.["route"])
      expect(routes).not.toContain("/batches/batch_does-not-exist")
    }).pipe(Effect.provide(TestServer.layer())))
})
