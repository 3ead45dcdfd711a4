/**
 * Estimates (docs/jobs.md, *Estimates*) on a fresh service: `POST /batches/estimate` of 50,000
 * one-sentence questions for `openai/gpt-4o-mini` — the first (which loads the tokenizer) and the
 * median of three more — and what a `max_cost_usd` adds to `POST /batches` of the same job (its
 * budget is checked against the estimate's lower bound before the 202).
 */
import { field, fixed, http, row, type Row, startService, type Upstream } from "./lib.ts"

const count = 50_000

const job = (tag: string, more: Record<string, unknown> = {}) => ({
  questions: Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    question: `Classify the sentiment of review ${tag}-${i + 1}: the parcel came late but the kettle works well.`,
    model: "openai/gpt-4o-mini"
  })),
  ...more
})

const post = async (port: number, path: string, body: unknown, status: number) => {
  const response = await http(port, "POST", path, body)
  if (response.status !== status) throw new Error(`${path} answered ${response.status}: ${response.body.slice(0, 300)}`)
  return response
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export const estimates = async (upstream: Upstream): Promise<ReadonlyArray<Row>> => {
  // The jobs never run far: the upstream is slow and the service is stopped once both are submitted.
  await upstream.setDelay(60_000)
  const service = await startService(upstream)
  try {
    const first = await post(service.port, "/batches/estimate", job("first"), 200)
    const tokens = Number(field(field(JSON.parse(first.body), "prompt_tokens"), "min"))
    const warm: Array<number> = []
    for (const round of [1, 2, 3]) warm.push((await post(service.port, "/batches/estimate", job(`warm${round}`), 200)).ms)
    const plain = await post(service.port, "/batches", job("plain"), 202)
    const budgeted = await post(service.port, "/batches", job("budgeted", { max_cost_usd: 1_000 }), 202)
    return [
      row("estimate 50,000 questions", "first (tokenizer loaded) ms", fixed(first.ms), "", "", ""),
      row("estimate 50,000 questions", "median of 3 more ms", fixed(median(warm)), "", "", ""),
      row("estimate 50,000 questions", "prompt tokens counted", String(tokens), "", "", ""),
      row("submit 50,000 questions", "202 without max_cost_usd ms", fixed(plain.ms), "", "", ""),
      row("submit 50,000 questions", "202 with max_cost_usd (budget checked) ms", fixed(budgeted.ms), "", "", "")
    ]
  } finally {
    await service.stop()
    await upstream.setDelay(0)
  }
}
