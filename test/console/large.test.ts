/**
 * A large job in the console: its independent questions are drawn as blocks of 100 with their
 * status mix (not 1,000 nodes), the page answers clicks while results stream in, and a block lists
 * its questions. The grouping at the docs' 5,000 (50 blocks) and at the 200-block cap is
 * graphModel.test.ts's, in process; here a browser draws it from a real job's stream.
 */
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { clickNode, graphOf, openPage, TestBrowser, waitForCounts } from "../support/browser.ts"
import { consoleServer } from "../support/consoleServer.ts"
import { submitJob } from "../support/jobs.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

const size = 1_000
const blocks = size / 100

/** Stops a job whose questions would otherwise wait on the fake upstream past the test. */
const cancelJob = (id: string) =>
  Effect.gen(function*() {
    const server = yield* TestServer
    const answer = yield* Effect.promise(() => fetch(`${server.url}/batches/${id}/cancel`, { method: "POST" }))
    expect(answer.status).toBe(200)
  })

layer(Layer.mergeAll(TestBrowser.layer, consoleServer()), { excludeTestServices: true, timeout: "60 seconds" })(
  "the console with a large job",
  (it) => {
    it.effect("1,000 independent questions are drawn as 10 blocks that fill in live, and a block lists its questions", () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const job = yield* submitJob({
          questions: Array.from({ length: size }, (_, i) => ({ index: i + 1, question: `bulk question ${i + 1}` }))
        })
        const { page, errors } = yield* openPage(`${server.url}/#/jobs/${job.id}`)
        yield* Effect.promise(async () => {
          await page.waitForFunction(() => (globalThis.llmBatchConsole?.graph()?.nodes.length ?? 0) > 0)
          // Clicked as soon as it is drawn (results are usually still streaming in): it answers.
          await clickNode(page, "block-0")
          await expect.poll(() => page.getByTestId("block-members").locator("li").count()).toBe(100)
          expect(await page.getByTestId("details").locator("h2").textContent()).toBe("Q1–Q100 (100)")
        })
        const during = (yield* Effect.promise(() => graphOf(page)))!
        expect(during.nodes).toHaveLength(blocks)
        expect(during.edges).toEqual([])
        expect(during.nodes.every((node) => node.kind === "block")).toBe(true)

        yield* Effect.promise(() => waitForCounts(page, { succeeded: size }))
        const after = (yield* Effect.promise(() => graphOf(page)))!
        expect(after.nodes.map((node) => [node.status, node.mix?.succeeded])).toEqual(
          Array.from({ length: blocks }, () => ["succeeded", 100])
        )
        yield* Effect.promise(async () => {
          // A question of the block, picked from its list, shows its own answer.
          await clickNode(page, `block-${blocks - 1}`)
          await page.getByTestId("block-members").getByRole("button", { name: `Q${size}`, exact: true }).click()
          await expect.poll(() => page.getByTestId("details").getByTestId("answer").textContent()).toBe(
            `answer to: bulk question ${size}`
          )
        })
        expect(errors).toEqual([])
      }))

    it.effect("a 1,000-step chain is drawn as 10 linked blocks of 100 with the chain's edges between them", () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const upstream = yield* FakeUpstream
        upstream.always("long chain", { delayMs: 60_000 })
        const job = yield* submitJob({
          questions: Array.from({ length: 1_000 }, (_, i) => ({ index: i + 1, question: "long chain", method: "sequential" }))
        })
        const { page, errors } = yield* openPage(`${server.url}/#/jobs/${job.id}`)
        yield* Effect.promise(() => waitForCounts(page, { running: 1, pending: 999 }))
        const graph = (yield* Effect.promise(() => graphOf(page)))!
        expect(graph.nodes.map((node) => node.id)).toEqual(Array.from({ length: 10 }, (_, k) => `block-${k}`))
        expect(graph.edges).toEqual(Array.from({ length: 9 }, (_, k) => ({ source: `block-${k}`, target: `block-${k + 1}` })))
        yield* cancelJob(job.id)
        expect(errors).toEqual([])
      }))
  }
)
