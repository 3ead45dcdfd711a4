/**
 * The console's job pages in headless Chromium against the real server and the fake upstream:
 * a batch submitted from the form runs to all green in its graph, a failure is red with its
 * dependents skipped, a job is cancelled from the list.
 */
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { clickNode, graphOf, openPage, TestBrowser, waitForCounts } from "../support/browser.ts"
import { consoleServer } from "../support/consoleServer.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { getJob, submitJob, waitForJob } from "../support/jobs.ts"
import { TestServer } from "../support/TestServer.ts"

/** A chain of 10 (each question names the previous answer) and 20 independent questions. */
const chainAndTwenty = {
  questions: [
    { index: 1, question: "chain step 1" },
    ...Array.from({ length: 9 }, (_, i) => ({ index: i + 2, question: `chain step ${i + 2} after <{Q${i + 1}_result}>` })),
    ...Array.from({ length: 20 }, (_, i) => ({ index: i + 11, question: `independent question ${i + 11}` }))
  ]
}

layer(Layer.mergeAll(TestBrowser.layer, consoleServer()), { excludeTestServices: true, timeout: "60 seconds" })(
  "the console's jobs",
  (it) => {
    it.effect("a 30-question batch with a chain, submitted from the form, turns all green; a node shows its answer", () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const upstream = yield* FakeUpstream
        // Slow enough that the page sees the chain in progress.
        upstream.always("chain step", { delayMs: 300 })
        const { page, errors } = yield* openPage(`${server.url}/#/run`)
        yield* Effect.promise(async () => {
          await page.getByTestId("batch-input").fill(JSON.stringify(chainAndTwenty))
          await expect.poll(() => page.getByTestId("format").textContent()).toBe("Read as JSON: 30 questions")
          expect(await page.getByTestId("lane-choice").inputValue()).toBe("sync")
          await page.getByTestId("submit-job").click()
          await page.waitForURL(/#\/jobs\/batch_/)
          // The job page's first render: a second was not always enough beside the suite's heaviest files.
          await expect.poll(() => page.getByTestId("lane").textContent(), { timeout: 10_000 }).toBe("sync")
          // Live: a step of the chain is drawn running while the steps after it still wait.
          await page.waitForFunction(() => {
            const counts = globalThis.llmBatchConsole?.graph()?.counts
            return counts !== undefined && counts.running >= 1 && counts.pending >= 1
          })
          await waitForCounts(page, { succeeded: 30 })
        })
        const graph = (yield* Effect.promise(() => graphOf(page)))!
        expect(graph.nodes).toHaveLength(30)
        expect(graph.nodes.every((node) => node.kind === "question" && node.status === "succeeded")).toBe(true)
        expect(graph.edges.map((edge) => `${edge.source}->${edge.target}`).toSorted()).toEqual(
          Array.from({ length: 9 }, (_, i) => `q${i + 1}->q${i + 2}`).toSorted()
        )
        yield* Effect.promise(async () => {
          await clickNode(page, "q3")
          const details = page.getByTestId("details")
          // The prompt as sent: Q2's answer (which holds Q1's) substituted.
          await expect.poll(() => details.getByTestId("prompt").textContent()).toBe(
            "chain step 3 after <answer to: chain step 2 after <answer to: chain step 1>>"
          )
          expect(await details.getByTestId("answer").textContent()).toBe(
            "answer to: chain step 3 after <answer to: chain step 2 after <answer to: chain step 1>>"
          )
          expect(await details.locator('[data-fact="model"]').textContent()).toBe("openai/gpt-4o-mini")
          expect(await details.locator('[data-fact="attempts"]').textContent()).toBe("1")
          expect(await page.getByTestId("job-status").getAttribute("data-status")).toBe("completed")
        })
        expect(errors).toEqual([])
      }))

    it.effect("a failed question is red with its error, and the questions after it are skipped (grey)", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const server = yield* TestServer
        upstream.always("doomed step", { status: 400 })
        const job = yield* submitJob({
          questions: [
            { index: 1, question: "doomed step one" },
            { index: 2, question: "after the doomed one: {Q1_result}" },
            { index: 3, question: "and after that: {Q2_result}" },
            // A model the price table does not know: its cost, and so the job's, is unknown.
            { index: 4, question: "a question on its own", model: "openai/unpriced-test-model" }
          ]
        })
        yield* waitForJob(job.id)
        const { page, errors } = yield* openPage(`${server.url}/#/jobs/${job.id}`)
        yield* Effect.promise(() => waitForCounts(page, { succeeded: 1, failed: 1, skipped: 2 }))
        const graph = (yield* Effect.promise(() => graphOf(page)))!
        expect(Object.fromEntries(graph.nodes.map((node) => [node.id, node.status]))).toEqual({
          q1: "failed",
          q2: "skipped",
          q3: "skipped",
          q4: "succeeded"
        })
        yield* Effect.promise(async () => {
          await clickNode(page, "q1")
          await expect.poll(() => page.getByTestId("details").getByTestId("error").textContent()).toContain("400")
          await clickNode(page, "q3")
          const details = page.getByTestId("details")
          await expect.poll(() => details.getByTestId("error").textContent()).toContain(
            "not sent: it depends on question 1, which failed"
          )
          // Why its placeholder stays, and what it cost: nothing, it was not sent.
          expect(await details.getByText("Not sent: Q2 was not sent.").count()).toBe(1)
          expect(await details.locator('[data-fact="cost"]').textContent()).toBe("none (not sent)")
          await clickNode(page, "q2")
          await expect.poll(() => details.getByText("Not sent: Q1 failed.").count()).toBe(1)
          // The header agrees with the legend (skipped apart from failed) and says whose cost is unknown.
          await expect.poll(() => page.getByTestId("counts").textContent()).toBe("1 ok · 1 failed · 2 skipped · 0 pending of 4")
          expect(await page.locator(".job-header .meta").textContent()).toContain("cost unknown (not known for Q4)")
          await clickNode(page, "q4")
          await expect.poll(() => details.locator('[data-fact="cost"]').textContent()).toBe("unknown")
        })
        expect(errors).toEqual([])
      }))

    it.effect("a results stream that lost a result says how many are missing", () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const browser = yield* TestBrowser
        const job = yield* submitJob({ questions: [{ index: 1, question: "kept" }, { index: 2, question: "lost" }] })
        yield* waitForJob(job.id)
        const context = yield* Effect.acquireRelease(
          Effect.promise(() => browser.newContext()),
          (context) => Effect.promise(() => context.close())
        )
        const missing = yield* Effect.promise(async () => {
          const page = await context.newPage()
          // A service that loses question 2 from the stream, though the job says it has both.
          await page.route(/\/results\?follow=true$/, async (route) => {
            const lines = (await (await route.fetch()).text()).split("\n").filter((line) => line.includes('"index":1,'))
            await route.fulfill({ status: 200, contentType: "application/x-ndjson", body: lines.join("\n") + "\n" })
          })
          await page.goto(`${server.url}/#/jobs/${job.id}`)
          await page.getByTestId("missing-results").waitFor({ state: "visible" })
          return page.getByTestId("missing-results").textContent()
        })
        expect(missing).toContain("delivered 1 of 2 results (1 missing)")
      }))

    it.effect("a running job is cancelled from the list", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const server = yield* TestServer
        upstream.always("slow to answer", { delayMs: 30_000 })
        const job = yield* submitJob({
          questions: Array.from({ length: 5 }, (_, i) => ({ index: i + 1, question: `slow to answer ${i}` })),
          metadata: { name: "the slow one" }
        })
        const { page, errors } = yield* openPage(`${server.url}/`)
        yield* Effect.promise(async () => {
          const row = page.locator(`[data-job-id="${job.id}"]`)
          await row.getByText("the slow one").waitFor()
          // Column headings say what each cell is ("unknown" is a cost).
          expect(await page.getByRole("columnheader").allTextContents()).toEqual(["Job", "Status", "Progress", "Cost", "Created", ""])
          await expect.poll(() => row.getAttribute("data-status")).toBe("running")
          await row.getByTestId("cancel").click()
          await expect.poll(() => row.getAttribute("data-status")).toBe("cancelled")
          expect(await row.getByTestId("cancel").count()).toBe(0)
        })
        const after = yield* getJob(job.id)
        expect(after.status).toBe("cancelled")
        expect(after.counts).toMatchObject({ total: 5, failed: 5, pending: 0 })
        expect(errors).toEqual([])
      }))

    it.effect("a job link whose id cannot be decoded says it is not a valid job id, in place of the job shown before", () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const job = yield* submitJob({ questions: [{ index: 1, question: "shown before" }], metadata: { name: "before" } })
        const { page, errors } = yield* openPage(`${server.url}/#/jobs/${job.id}`)
        yield* Effect.promise(async () => {
          await page.locator(".job-header").getByText(job.id).waitFor()
          // decodeURIComponent throws a URIError for this one.
          await page.goto(`${server.url}/#/jobs/%E0%A4%A`)
          await page.getByTestId("invalid-job-id").waitFor()
          expect(await page.getByTestId("invalid-job-id").textContent()).toContain("not a valid job id")
          expect(await page.locator(".job-header").count()).toBe(0)
        })
        expect(errors).toEqual([])
      }))
  }
)
