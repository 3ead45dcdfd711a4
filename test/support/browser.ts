/**
 * Headless Chromium (Debian's /usr/bin/chromium, never a downloaded one) driven by playwright-core,
 * as a scoped resource: one browser per test file, closed however the file ends. Pages record
 * their script errors, so a test can check that the console threw none.
 */
import { Context, Effect, Layer } from "effect"
import { type Browser, chromium, type Page } from "playwright-core"
import type { GraphSnapshot } from "../../web/src/hooks.ts"

export const chromiumPath = "/usr/bin/chromium"

/** Without these Chromium may hang in a container (no sandbox, no GPU) or phone home. */
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync"
]

export class TestBrowser extends Context.Service<TestBrowser, Browser>()("test/TestBrowser") {
  static readonly layer = Layer.effect(
    TestBrowser,
    Effect.acquireRelease(
      Effect.promise(() => chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true })),
      (browser) => Effect.promise(() => browser.close())
    )
  )
}

export interface ConsolePage {
  readonly page: Page
  /** Uncaught errors and console.error lines of the page so far. */
  readonly errors: Array<string>
}

/** A page in a fresh context (its own sessionStorage) at `url`, closed with the scope. */
export const openPage = (url: string, viewport = { width: 1280, height: 800 }) =>
  Effect.gen(function*() {
    const browser = yield* TestBrowser
    const context = yield* Effect.acquireRelease(
      Effect.promise(() => browser.newContext({ viewport })),
      (context) => Effect.promise(() => context.close())
    )
    const page = yield* Effect.promise(() => context.newPage())
    page.setDefaultTimeout(20_000)
    const errors: Array<string> = []
    page.on("pageerror", (error) => errors.push(error.message))
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text())
    })
    yield* Effect.promise(() => page.goto(url))
    return { page, errors } satisfies ConsolePage
  })

/** The graph on the page now (null when there is none). */
export const graphOf = (page: Page): Promise<GraphSnapshot | null> =>
  page.evaluate(() => globalThis.llmBatchConsole?.graph() ?? null)

/** Waits until the page's graph has `counts` exactly (the statuses not named must be 0). */
export const waitForCounts = (page: Page, counts: Partial<Record<keyof GraphSnapshot["counts"], number>>) =>
  page.waitForFunction((wanted: Partial<Record<string, number>>) => {
    const graph = globalThis.llmBatchConsole?.graph()
    if (graph === null || graph === undefined) return false
    return Object.entries(graph.counts).every(([status, n]) => n === (wanted[status] ?? 0))
  }, counts)

/** Clicks a graph node where it is drawn on the canvas, as a person would. */
export const clickNode = async (page: Page, id: string): Promise<void> => {
  const before = await page.evaluate<number>("scrollY")
  await page.getByTestId("graph").scrollIntoViewIfNeeded()
  // Cytoscape ignores taps for 250 ms after the page scrolls (a scroll gesture is not a tap).
  if ((await page.evaluate<number>("scrollY")) !== before) await page.waitForTimeout(300)
  const point = await page.evaluate((node) => globalThis.llmBatchConsole?.clientPoint(node) ?? null, id)
  if (point === null) throw new Error(`no node ${id} on the page`)
  await page.mouse.click(point.x, point.y)
}
