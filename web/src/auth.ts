/**
 * The API key, asked once when a call answers 401 and kept for the browser session
 * (sessionStorage: gone when the tab closes, never written to disk by us).
 */
import { h } from "./dom.ts"

const storageKey = "llm-batch.api-key"

/** Dispatched on `window` when a key is entered. */
export const keyEntered = "llm-batch:key-entered"

export const storedKey = (): string | null => sessionStorage.getItem(storageKey)

export const forgetKey = (): void => sessionStorage.removeItem(storageKey)

let pending: Promise<string> | undefined

/**
 * Shows the key form (one form however many calls were refused at once) and resolves with the key
 * entered. `refused` says the key in use was wrong, not missing.
 */
export const askForKey = (refused: boolean): Promise<string> => {
  pending ??= new Promise<string>((resolve) => {
    const input = h("input", {
      type: "password",
      name: "api-key",
      autocomplete: "current-password",
      required: true,
      placeholder: "API key",
      "aria-label": "API key"
    })
    const form = h(
      "form",
      { class: "key-form", "data-testid": "key-form" },
      h("h2", {}, "API key"),
      h(
        "p",
        {},
        refused
          ? h("span", { class: "error", "data-testid": "key-refused" }, "The service refused that key. ")
          : null,
        "This service asks for an API key (its API_KEYS setting). It is kept in this tab only, until you close it."
      ),
      input,
      h("button", { type: "submit" }, "Use this key")
    )
    const overlay = h("div", { class: "overlay" }, form)
    form.addEventListener("submit", (event) => {
      event.preventDefault()
      const key = input.value.trim()
      if (key === "") return
      sessionStorage.setItem(storageKey, key)
      overlay.remove()
      pending = undefined
      window.dispatchEvent(new Event(keyEntered))
      resolve(key)
    })
    document.body.append(overlay)
    input.focus()
  })
  return pending
}
