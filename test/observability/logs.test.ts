/**
 * LOG_FORMAT=json on the real process: every line it writes is one JSON object, and a health
 * check's access line is at DEBUG while other requests' are at INFO.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type RunningService, startService } from "../support/service.ts"

interface JsonLine {
  readonly message: unknown
  readonly level: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/** Stops the service and reads all it wrote. */
const stopped = (service: RunningService) =>
  Effect.promise(() =>
    new Promise<string>((resolve) => {
      service.child.once("exit", () => resolve(service.output()))
      service.child.kill("SIGTERM")
    })
  )

const accessLines = (lines: ReadonlyArray<JsonLine>, url: string) =>
  lines.filter((line) => line.message === "Sent HTTP response" && line.annotations["http.url"] === url)

describe("LOG_FORMAT", () => {
  it.live("json: one JSON object per line; /health is logged at DEBUG, other requests at INFO", () =>
    Effect.gen(function*() {
      const service = yield* startService({ PORT: "0", LOG_FORMAT: "json", LOG_LEVEL: "Debug" })
      yield* Effect.promise(() => fetch(`${service.url}/health`).then((response) => response.text()))
      yield* Effect.promise(() => fetch(`${service.url}/models/response`).then((response) => response.text()))
      const output = yield* stopped(service)

      const lines = output.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as JsonLine)
      expect(lines.length).toBeGreaterThan(2)
      expect(lines.some((line) => typeof line.message === "string" && line.message.startsWith("Listening on"))).toBe(true)
      expect(accessLines(lines, "/health").map((line) => line.level)).toEqual(["DEBUG"])
      expect(accessLines(lines, "/models/response").map((line) => line.level)).toEqual(["INFO"])
    }))

  it.live("text (the default) at INFO: no line for a health check, one for another request", () =>
    Effect.gen(function*() {
      const service = yield* startService({ PORT: "0" })
      yield* Effect.promise(() => fetch(`${service.url}/health`).then((response) => response.text()))
      yield* Effect.promise(() => fetch(`${service.url}/models/response`).then((response) => response.text()))
      const output = yield* stopped(service)

      expect(output).toContain("'http.url': '/models/response'")
      expect(output).not.toContain("/health")
      expect(() => JSON.parse(output.split("\n")[0]!)).toThrow()
    }))
})
