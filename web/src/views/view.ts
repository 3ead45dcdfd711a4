/** A screen of the console: draws itself into `root` and returns how to stop (timers, streams). */
export type View = (root: HTMLElement, signal: AbortSignal) => void

/** Whether an error is the abort of a screen the user left. */
export const aborted = (signal: AbortSignal, error: unknown): boolean =>
  signal.aborted || error instanceof DOMException && error.name === "AbortError"

/** Resolves after `ms`, or at once when the screen is left. */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener("abort", done)
      resolve()
    }
    signal.addEventListener("abort", done)
  })

export const message = (error: unknown): string => error instanceof Error ? error.message : String(error)
