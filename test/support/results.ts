/** A successful `ResultItem` as the engine writes one, for tests that need results known in advance. */
import type { ResultItem } from "../../src/domain/Batch.ts"

export const successResult = (index: number, fields: Partial<ResultItem> = {}): ResultItem => ({
  index,
  status: "success",
  result: `answer ${index}`,
  error_message: null,
  confidence: null,
  retry_count: 0,
  model: "openai/gpt-4o-mini",
  cached: false,
  attempts: 1,
  latency_ms: 5,
  usage: null,
  models_tried: ["openai/gpt-4o-mini"],
  cost_usd: null,
  finish_reason: "stop",
  lane: "sync",
  ...fields
})
