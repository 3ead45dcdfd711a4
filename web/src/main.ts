/**
 * The console's entry: a header, and the screen the URL's hash names — `#/` the jobs, `#/jobs/<id>`
 * a job, `#/run` the batch form. Screens load on first use, so the list does not wait for the graph
 * library.
 */
import "./style.css"
import { forgetKey, keyEntered, storedKey } from "./auth.ts"
import { h, replace } from "./dom.ts"
import "./hooks.ts"
import type { View } from "./views/view.ts"

const app = document.getElementById("app") ?? document.body
const main = h("main", {})
const keyButton = h("button", { type: "button", class: "link", hidden: true }, "Forget the API key")
keyButton.addEventListener("click", () => {
  forgetKey()
  location.reload()
})
replace(
  app,
  h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: "#/" }, "llm-batch"),
    h("nav", {}, h("a", { href: "#/" }, "Jobs"), h("a", { href: "#/run" }, "Run a batch"), h("a", { href: "/docs" }, "API")),
    keyButton
  ),
  main
)

/** `%E0%A4%A` and the like: decodeURIComponent throws a URIError for them. */
const decodedId = (encoded: string): string | undefined => {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return undefined
  }
}

/** A job link that cannot be a job's: said so, instead of an uncaught error over the last screen. */
const invalidJobId = (encoded: string): View => (root) =>
  replace(
    root,
    h("h1", {}, "Not a valid job id"),
    h(
      "p",
      { class: "error", role: "alert", "data-testid": "invalid-job-id" },
      `"${encoded}" in this link is not a valid job id. `,
      h("a", { href: "#/" }, "See the jobs")
    )
  )

const screenFor = async (hash: string): Promise<View> => {
  const job = /^#\/jobs\/([^/]+)$/.exec(hash)
  if (job !== null) {
    const id = decodedId(job[1]!)
    return id === undefined ? invalidJobId(job[1]!) : (await import("./views/job.ts")).jobView(id)
  }
  if (hash === "#/run") return (await import("./views/run.ts")).runView
  return (await import("./views/jobs.ts")).jobsView
}

let current: AbortController | undefined
const route = async () => {
  current?.abort()
  const controller = new AbortController()
  current = controller
  keyButton.hidden = storedKey() === null
  const screen = await screenFor(location.hash)
  if (controller.signal.aborted) return
  const root = h("div", { class: "screen" })
  replace(main, root)
  screen(root, controller.signal)
}
window.addEventListener("hashchange", () => void route())
window.addEventListener(keyEntered, () => (keyButton.hidden = false))
void route()
