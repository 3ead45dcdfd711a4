/**
 * LOG_FORMAT: `text` keeps effect's default logger; `json` writes one JSON object per line
 * (`Logger.formatJson`: message, level, timestamp, cause, annotations, spans, fiberId), on stderr
 * where a surface asks for it (`Logger.LogToStderr`: stdio MCP keeps stdout for the protocol).
 */
import { Effect, Layer, Logger } from "effect"
import { AppConfig } from "../config/AppConfig.ts"

const jsonLines = Logger.make((options) => {
  const line = Logger.formatJson.log(options)
  if (options.fiber.getRef(Logger.LogToStderr)) console.error(line)
  else console.log(line)
})

export const LoggingLayer = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AppConfig
  return config.observability.logFormat === "json" ? Logger.layer([jsonLines]) : Layer.empty
}))
