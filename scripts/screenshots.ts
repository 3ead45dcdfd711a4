/**
 * The console's screenshots in docs/ (run by hand: `node scripts/screenshots.ts`): builds the
 * console, starts the real service in this process against the test suite's fake upstream, runs
 * a few jobs — one finished, one cancelled, one mid-way with a failure, a skip and questions in
 * flight — and photographs the jobs list, that job's page, and the job on a phone, in headless
 * Chromium (/usr/bin/chromium).
 *
 *   node scripts/screenshots.ts [outdir]     default docs/
 */
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Page } from "playwright-core"
import { openPage, TestBrowser, waitForCounts, clickNode } from "../test/support/browser.ts"
import { FakeUpstream } from "../test/support/FakeUpstream.ts"
import { TestServer } from "../test/support/TestServer.ts"
import { buildConsole } from "./build.ts"

const outdir = process.argv[2] ?? fileURLToPath(new URL("../docs/", import.meta.url))

/** A report written in steps: an outline, four sections from it, a summary of them, then polish. */
const report = {
  metadata: { name: "quarterly report" },
  questions: [
    { index: 1, question: "Outline a four-part report on Q3 support tickets." },
    ...[2, 3, 4, 5].map((index) => ({ index, question: `Write part ${index - 1} of the report following {Q1_result}` })),
    { index: 6, question: "Summarise {Q2_result} {Q3_result} {Q4_result} {Q5_result}" },
    { index: 7, question: "Title for {Q6_result}" },
    { index: 8, question: "Translate {Q6_result} into French" },
    { index: 9, question: "Check the French of {Q8_result}" },
    { index: 10, question: "Chart spec for the ticket volumes", model: "openai/gpt-4o" },
    { index: 11, question: "Caption for {Q10_result}" },
    ...Array.from({ length: 12 }, (_, i) => ({ index: 12 + i, question: `Classify ticket #${4000 + i}` }))
  ]
}

const shoot = (page: Page, name: string) => Effect.promise(() => page.screenshot({ path: join(outdir, name) }))

const program = Effect.gen(function*() {
  const upstream = yield* FakeUpstream
  const server = yield* TestServer
  upstream.always("Outline", { text: "1. Volumes 2. Response times 3. Top issues 4. Next steps" })
  upstream.always("Write part", { text: "Ticket volume rose 12% over Q2, driven by the new billing page." })
  upstream.always("Summarise", { text: "Q3: more tickets, faster answers, billing is the top issue." })
  upstream.always("Title for", { text: "Q3 support: busier, faster" })
  // In flight while the photos are taken.
  upstream.always("Translate", { delayMs: 600_000 })
  upstream.always("Chart spec", { status: 400 })
  upstream.always("Classify ticket #4001", { delayMs: 600_000 })
  upstream.always("Classify ticket", { text: "billing" })
  upstream.always("nightly", { text: "ok" })
  upstream.always("backfill", { delayMs: 600_000 })

  const submit = (body: unknown) =>
    Effect.promise(async () => {
      const response = await fetch(`${server.url}/batches`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      })
      const job: unknown = await response.json()
      if (response.status !== 202 || typeof job !== "object" || job === null || !("id" in job)) {
        throw new Error(`submit failed: ${response.status} ${JSON.stringify(job)}`)
      }
      return String(job.id)
    })

  yield* submit({
    metadata: { name: "nightly eval" },
    questions: Array.from({ length: 120 }, (_, i) => ({ index: i + 1, question: `nightly case ${i + 1}` }))
  })
  const backfill = yield* submit({
    metadata: { name: "backfill" },
    questions: Array.from({ length: 40 }, (_, i) => ({ index: i + 1, question: `backfill row ${i + 1}` }))
  })
  yield* Effect.promise(() => fetch(`${server.url}/batches/${backfill}/cancel`, { method: "POST" }))
  const job = yield* submit(report)

  const laptop = yield* openPage(`${server.url}/#/jobs/${job}`, { width: 1280, height: 880 })
  yield* Effect.promise(async () => {
    await waitForCounts(laptop.page, { succeeded: 18, running: 2, pending: 1, failed: 1, skipped: 1 })
    await clickNode(laptop.page, "q6")
    await laptop.page.getByTestId("details").getByTestId("answer").waitFor()
    await laptop.page.evaluate("scrollTo(0, 0)")
  })
  yield* shoot(laptop.page, "console-job.png")

  const list = yield* openPage(`${server.url}/`, { width: 1280, height: 520 })
  yield* Effect.promise(() => list.page.locator(`[data-job-id="${job}"]`).waitFor())
  yield* shoot(list.page, "console-jobs.png")

  const phone = yield* openPage(`${server.url}/#/jobs/${job}`, { width: 390, height: 844 })
  yield* Effect.promise(() => waitForCounts(phone.page, { succeeded: 18, running: 2, pending: 1, failed: 1, skipped: 1 }))
  yield* shoot(phone.page, "console-phone.png")
  console.log(`wrote console-jobs.png, console-job.png and console-phone.png to ${outdir}`)
})

const consoleDir = mkdtempSync(join(tmpdir(), "llm-batch-console-"))
try {
  await buildConsole(consoleDir)
  await Effect.runPromise(
    Effect.scoped(program).pipe(
      Effect.provide(Layer.mergeAll(
        TestBrowser.layer,
        TestServer.layer({ CONSOLE_DIR: consoleDir, LOG_LEVEL: "Error" })
      ))
    )
  )
} finally {
  rmSync(consoleDir, { recursive: true, force: true })
}
// The fake upstream's timers for the answers still "in flight" would keep the process up for minutes.
process.exit(0)
