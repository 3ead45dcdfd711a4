/**
 * The console's "Run a batch" screen: a batch run now through /ask/stream fills its graph in as
 * the answers stream back; its estimate shows before Submit; a batch made from a CSV file and a
 * template carries each row's id as `meta`; an invalid batch shows the service's own message inline
 * (checked in the page for a field, by the service for a missing reference); the screens fit a phone.
 */
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { clickNode, graphOf, openPage, TestBrowser, waitForCounts } from "../support/browser.ts"
import { consoleServer } from "../support/consoleServer.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"
import { TestServer } from "../support/TestServer.ts"

layer(Layer.mergeAll(TestBrowser.layer, consoleServer()), { excludeTestServices: true, timeout: "60 seconds" })(
  "running a batch from the console",
  (it) => {
    it.effect("runs JSONL now through /ask/stream, the graph filling in as answers stream back", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const server = yield* TestServer
        // The second question waits on the first, which answers late: the graph is seen part done.
        upstream.script("stream first", { text: "FIRST", delayMs: 1_500 })
        const jsonl = [
          { question: "stream first" },
          { question: "stream second, after {Q1_result}" },
          { question: "stream on its own" }
        ].map((line) => JSON.stringify(line)).join("\n")
        const { page, errors } = yield* openPage(`${server.url}/#/run`)
        yield* Effect.promise(async () => {
          await page.getByTestId("batch-input").fill(jsonl)
          await expect.poll(() => page.getByTestId("format").textContent()).toBe("Read as JSONL: 3 questions")
          await page.getByTestId("run-now").click()
          await waitForCounts(page, { succeeded: 1, running: 1, pending: 1 })
          await waitForCounts(page, { succeeded: 3 })
          await expect.poll(() => page.getByTestId("run-status").textContent()).toBe(
            "Done: 3 results, 3 succeeded, 0 failed, 0 skipped."
          )
          await clickNode(page, "q2")
          await expect.poll(() => page.getByTestId("details").getByTestId("prompt").textContent()).toBe(
            "stream second, after FIRST"
          )
          // An edit makes the last run's "Done: …" stale: it goes.
          await page.getByTestId("batch-input").fill(`${jsonl}\n{"question": "one more"}`)
          await expect.poll(() => page.getByTestId("run-status").textContent()).toBe("")
        })
        const graph = (yield* Effect.promise(() => graphOf(page)))!
        expect(graph.edges).toEqual([{ source: "q1", target: "q2" }])
        // Run now sends no job: nothing was stored.
        const list = yield* Effect.promise(() => fetch(`${server.url}/batches`).then((r) => r.json()))
        expect(list).toEqual({ data: [] })
        expect(errors).toEqual([])
      }))

    it.effect("shows the estimate before Submit, on the lane chosen; an edit clears it; nothing is sent or stored", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const server = yield* TestServer
        const sentBefore = upstream.requests.length
        const { page, errors } = yield* openPage(`${server.url}/#/run`)
        yield* Effect.promise(async () => {
          const input = page.getByTestId("batch-input")
          const estimate = page.getByTestId("estimate")
          await input.fill('{"question": "What is the capital of France?", "model": "openai/gpt-4o-mini"}\n{"question": "Shorter: {Q1_result}"}')
          await expect.poll(() => page.getByTestId("format").textContent()).toBe("Read as JSONL: 2 questions")
          await page.getByTestId("lane-choice").selectOption("batch")
          await page.getByTestId("estimate-job").click()
          // The first estimate loads the tokenizer (~1–2 s here).
          await expect.poll(() => estimate.textContent(), { timeout: 15_000 }).toContain("Questions2 in 2 waves")
          const text = (await estimate.textContent())!
          expect(text).toContain("(exact: openai/gpt-4o-mini)")
          expect(text).toMatch(/Batch lane\$[\d.]+ to \$[\d.]+, 2 min to 48 h/)
          await input.fill('{"question": "What is the capital of Spain?"}')
          await expect.poll(() => estimate.textContent()).toBe("")
        })
        expect(upstream.requests).toHaveLength(sentBefore)
        const list = yield* Effect.promise(() => fetch(`${server.url}/batches`).then((r) => r.json()))
        expect(list).toEqual({ data: [] })
        expect(errors).toEqual([])
      }))

    it.effect("makes a batch from a CSV file and a template: previews its prompts, estimates it, submits it with meta", () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const { page, errors } = yield* openPage(`${server.url}/#/run`)
        // A quoted comma and a quoted line break; the last row lacks the template's column.
        const csv = 'sku,review\nA-1,"Fine, mostly"\nB-2,"Two\nlines"\nC-3\n'
        const jobId = yield* Effect.promise(async () => {
          await page.getByText("From a dataset").click()
          await page.getByTestId("dataset-file").setInputFiles({ name: "reviews.csv", mimeType: "text/csv", buffer: Buffer.from(csv) })
          await page.getByTestId("dataset-id").selectOption("sku")
          await page.getByTestId("dataset-template").fill("Upload review: {{review}}")
          const preview = page.getByTestId("dataset-preview").locator("li")
          await expect.poll(() => preview.allTextContents()).toEqual([
            "id A-1: Upload review: Fine, mostly",
            "id B-2: Upload review: Two\nlines"
          ])
          expect(await page.getByTestId("dataset-problems").textContent()).toBe("1 row not sent:line 5: no value for column 'review'")
          await expect.poll(() => page.getByTestId("format").textContent()).toBe("Read as JSONL: 2 questions")
          await page.getByTestId("estimate-job").click()
          await expect.poll(() => page.getByTestId("estimate").textContent(), { timeout: 15_000 }).toContain("Questions2 in 1 wave")
          await page.getByTestId("submit-job").click()
          await page.waitForURL(/#\/jobs\//)
          return new URL(page.url()).hash.replace("#/jobs/", "")
        })
        // Following the results ends when the job does.
        const results = yield* Effect.promise(() =>
          fetch(`${server.url}/batches/${jobId}/results?follow=true`).then((r) => r.text())
        )
        const rows = results.trim().split("\n").map((line) => JSON.parse(line) as { index: number; status: string; meta: unknown })
        expect(rows.map(({ index, meta, status }) => ({ index, meta, status })).toSorted((a, b) => a.index - b.index)).toEqual([
          { index: 1, meta: { id: "A-1" }, status: "success" },
          { index: 2, meta: { id: "B-2" }, status: "success" }
        ])
        expect(errors).toEqual([])
      }))

    it.effect("shows a field's problem as the service words it, before anything is sent, and the service's 400 after", () =>
      Effect.gen(function*() {
        const upstream = yield* FakeUpstream
        const server = yield* TestServer
        const sentBefore = upstream.requests.length
        const { page, errors } = yield* openPage(`${server.url}/#/run`)
        yield* Effect.promise(async () => {
          const input = page.getByTestId("batch-input")
          const problems = page.getByTestId("validation")
          await input.fill(JSON.stringify({ questions: [{ index: 1, question: "typo", temprature: 0.5 }] }))
          await expect.poll(() => problems.textContent()).toBe("questions[0].temprature: unknown field")
          expect(await page.getByTestId("submit-job").isDisabled()).toBe(true)
          await input.fill('{"question": "fine"}\n{"question": ""}')
          await expect.poll(() => problems.textContent()).toContain("line 2: question: expected a value with a length of at least 1")
          // Well formed, but Q7 is not in the batch: the planner's 400, with the JSONL line named.
          await input.fill('{"question": "fine"}\n{"question": "after {Q7_result}"}')
          await expect.poll(() => page.getByTestId("format").textContent()).toBe("Read as JSONL: 2 questions")
          expect(await problems.textContent()).toBe("")
          await page.getByTestId("run-now").click()
          await expect.poll(() => problems.textContent()).toBe(
            "line 2: question: {Q7_result} refers to index 7, which is not in the batch"
          )
        })
        expect(upstream.requests).toHaveLength(sentBefore)
        // The browser logs the 400 of the refused request; nothing else went wrong.
        expect(errors.filter((error) => !error.includes("400"))).toEqual([])
      }))

    it.effect("on a phone-size screen, the form and a run's graph and details fit the width", () =>
      Effect.gen(function*() {
        const server = yield* TestServer
        const { page, errors } = yield* openPage(`${server.url}/#/run`, { width: 390, height: 844 })
        yield* Effect.promise(async () => {
          await page.getByTestId("load-example").click()
          await page.getByTestId("run-now").click()
          await waitForCounts(page, { succeeded: 5 })
          await clickNode(page, "q3")
          await page.getByTestId("details").getByTestId("answer").waitFor()
          // Nothing wider than the screen (no sideways scrolling); the graph takes the width.
          expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390)
          expect((await page.getByTestId("graph").boundingBox())?.width).toBeGreaterThan(300)
          expect((await page.getByTestId("details").boundingBox())?.width).toBeGreaterThan(300)
        })
        expect(errors).toEqual([])
      }))
  }
)
