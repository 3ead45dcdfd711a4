/**
 * The console with API_KEYS: the first call's 401 brings up the key form; a wrong key is refused
 * and asked for again; the right one loads the list (the caller's own jobs) and is kept for the
 * browser session.
 */
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { openPage, TestBrowser } from "../support/browser.ts"
import { consoleServer } from "../support/consoleServer.ts"
import { submitJob } from "../support/jobs.ts"
import { TestServer } from "../support/TestServer.ts"

const key = "console-key-123"

layer(Layer.mergeAll(TestBrowser.layer, consoleServer({ API_KEYS: key })), {
  excludeTestServices: true,
  timeout: "60 seconds"
})("the console with API_KEYS", (it) => {
  it.effect("asks for the key, refuses a wrong one, and lists the jobs with the right one", () =>
    Effect.gen(function*() {
      const server = yield* TestServer
      const job = yield* submitJob({ questions: [{ index: 1, question: "whose job" }], metadata: { name: "mine" } }, { key })
      const { page, errors } = yield* openPage(`${server.url}/`)
      yield* Effect.promise(async () => {
        const form = page.getByTestId("key-form")
        await form.waitFor()
        expect(await page.getByTestId("key-refused").count()).toBe(0)
        await form.getByLabel("API key").fill("not-the-key")
        await form.getByRole("button").click()
        await page.getByTestId("key-refused").waitFor()
        expect(await page.locator(`[data-job-id="${job.id}"]`).count()).toBe(0)
        await page.getByTestId("key-form").getByLabel("API key").fill(key)
        await page.getByTestId("key-form").getByRole("button").click()
        await page.locator(`[data-job-id="${job.id}"]`).getByText("mine").waitFor()
        expect(await page.getByTestId("key-form").count()).toBe(0)
        // Kept for the session: another screen, and a reload, ask nothing.
        await page.goto(`${server.url}/#/jobs/${job.id}`)
        await page.getByTestId("job-status").waitFor()
        await page.reload()
        await page.getByTestId("job-status").waitFor()
        expect(await page.getByTestId("key-form").count()).toBe(0)
      })
      // The refused key's 401s are the only errors the page logged.
      expect(errors.every((error) => error.includes("401"))).toBe(true)
    }))
})
