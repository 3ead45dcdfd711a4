import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Stream } from "effect"
// From the sources; test/ship/package.test.ts imports the built `llm-batch/client` as a consumer would.
import { LlmBatchClient } from "../../src/rpc/client.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { eventually } from "../support/Mcp.ts"
import { TestServer } from "../support/TestServer.ts"

/** The exported client, pointed at the running test server's /rpc. */
const rpcClient = (apiKey?: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    const context = yield* Layer.build(LlmBatchClient.layer({ url: `${server.url}/rpc`, apiKey }))
    return Context.get(context, LlmBatchClient)
  })

describe("Effect RPC client", () => {
  it.live("Ask runs a batch written like POST /ask's body (defaults left out) and returns the BatchResponse", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.script("capital of France", { text: "Paris" })
      const client = yield* rpcClient()
      const response = yield* client.Ask({
        questions: [
          { index: 3, question: "What is 2 + 2?", meta: { id: "row-3", n: 3 } },
          { index: 1, question: "What is the capital of France?", method: "sequential" },
          { index: 2, question: "What is the population of {Q1_result}?", method: "sequential", temperature: 0.5 }
        ]
      })
      expect(response.results.map((r) => [r.index, r.status, r.result])).toEqual([
        [1, "success", "Paris"],
        [2, "success", "answer to: What is the population of Paris?"],
        [3, "success", "answer to: What is 2 + 2?"]
      ])
      expect(upstream.callsFor("population")[0]!.body.temperature).toBe(0.5)
      expect(response.results.map((r) => r.meta)).toEqual([undefined, undefined, { id: "row-3", n: 3 }])
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("Ask and AskStream fail with a typed InvalidBatchError for a batch rejected as a whole", () =>
    Effect.gen(function*() {
      const client = yield* rpcClient()
      const duplicate = yield* Effect.flip(client.Ask({ questions: [{ index: 1, question: "a" }, { index: 1, question: "b" }] }))
      expect(duplicate._tag).toBe("InvalidBatchError")
      expect(duplicate.message).toContain("index 1 is already used")
      const cycle = yield* Effect.flip(client.AskStream({
        questions: [{ index: 1, question: "uses {Q2_result}" }, { index: 2, question: "uses {Q1_result}" }]
      }).pipe(Stream.runDrain))
      expect(cycle._tag).toBe("InvalidBatchError")
      expect(cycle.message).toContain("dependency cycle")
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("AskStream delivers each result as it finishes, before the slowest question is done", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 2_000 })
      const client = yield* rpcClient()
      const started = Date.now()
      const arrivals: Array<{ readonly index: number; readonly at: number }> = []
      yield* client.AskStream({
        questions: [{ index: 1, question: "slow one" }, { index: 2, question: "quick one" }, { index: 3, question: "quick two" }]
      }).pipe(
        Stream.runForEach((item) =>
          Effect.sync(() => arrivals.push({ index: item.index, at: Date.now() - started }))
        )
      )
      expect(arrivals.map((a) => a.index).toSorted()).toEqual([1, 2, 3])
      expect(arrivals.at(-1)!.index).toBe(1)
      // The quick answers were in the client's hands while the slow call was still pending upstream.
      expect(arrivals.at(-1)!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(1_000)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("stopping an AskStream early interrupts the batch's upstream calls on the server", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      upstream.always("slow", { delayMs: 10_000 })
      const client = yield* rpcClient()
      const first = yield* client.AskStream({
        questions: [{ index: 1, question: "quick" }, { index: 2, question: "slow a" }, { index: 3, question: "slow b" }]
      }).pipe(Stream.take(1), Stream.runCollect)
      expect(first.map((item) => item.index)).toEqual([1])
      yield* eventually(() => upstream.aborted === 2)
    }).pipe(Effect.provide(TestServer.layer())))

  it.live("sends the apiKey as a bearer token when the service has API_KEYS set", () =>
    Effect.gen(function*() {
      const anonymous = yield* rpcClient()
      const refused = yield* Effect.flip(anonymous.Ask({ questions: [{ index: 1, question: "hi" }] }))
      expect(refused._tag).toBe("RpcClientError")
      const client = yield* rpcClient("secret-key")
      const { results } = yield* client.Ask({ questions: [{ index: 1, question: "hi" }] })
      expect(results[0]!.status).toBe("success")
    }).pipe(Effect.provide(TestServer.layer({ API_KEYS: "secret-key" }))))
})
