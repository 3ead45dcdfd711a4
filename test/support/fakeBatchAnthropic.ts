/** Anthropic's Message Batches API, as `@anthropic-ai/sdk` calls it (`…/v1/messages/batches…`). */
import { providerError } from "./fakeAnswers.ts"
import { anthropicCounts, anthropicResultLines } from "./fakeBatchLines.ts"
import { type BatchLine, type BatchRequest, FakeBatch, jsonReply, type Reply, type RouteMatch } from "./fakeBatchModel.ts"
import type { FakeBatches } from "./fakeBatches.ts"

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())
const day = 24 * 60 * 60 * 1000
const customIdPattern = /^[a-zA-Z0-9_-]{1,64}$/

const refuse = (status: number, message: string): Reply => jsonReply(status, providerError("anthropic", status, message))

const batchObject = (batch: FakeBatch, base: string) => ({
  id: batch.id,
  type: "message_batch",
  processing_status: batch.phase === "ended" ? "ended" : batch.phase === "cancelling" ? "canceling" : "in_progress",
  request_counts: anthropicCounts(batch),
  ended_at: iso(batch.endedAt),
  created_at: iso(batch.createdAt),
  expires_at: iso(batch.createdAt + day),
  archived_at: null,
  cancel_initiated_at: iso(batch.cancelledAt),
  results_url: batch.phase === "ended" ? `${base}/${batch.id}/results` : null
})

const createBatch = (state: FakeBatches, request: BatchRequest, base: string): Reply => {
  state.uploadedBytes.anthropic += request.raw.length
  const { requests: max, bytes } = state.limits("anthropic")
  if (request.raw.length > bytes) return refuse(413, `Request exceeds the maximum size of ${bytes} bytes.`)
  let params: { requests?: unknown }
  try {
    params = JSON.parse(request.raw.toString("utf8"))
  } catch {
    return refuse(400, "The body is not JSON.")
  }
  const requests = params.requests
  if (!Array.isArray(requests) || requests.length === 0) return refuse(400, "requests: at least one request is required")
  if (requests.length > max) return refuse(400, `requests: ${requests.length} requests; at most ${max} are allowed`)
  const lines: Array<BatchLine> = []
  const seen = new Set<string>()
  for (const [index, item] of requests.entries()) {
    const customId: unknown = item?.custom_id
    const body: unknown = item?.params
    if (typeof customId !== "string" || !customIdPattern.test(customId)) {
      return refuse(400, `requests.${index}.custom_id: must match ${customIdPattern.source}`)
    }
    if (seen.has(customId)) return refuse(400, `requests.${index}.custom_id: '${customId}' is not unique`)
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return refuse(400, `requests.${index}.params: Field required`)
    }
    seen.add(customId)
    lines.push({ customId, body: { ...body } })
  }
  const script = state.takeScript(lines.map((line) => line.body))
  if (script.failValidation !== undefined) return refuse(400, script.failValidation)
  const batch = state.add(new FakeBatch({ protocol: "anthropic", id: state.nextId("msgbatch_"), lines, script }))
  batch.phase = "running"
  return jsonReply(200, batchObject(batch, base))
}

const listBatches = (state: FakeBatches, url: URL, base: string): Reply => {
  const all = state.created.filter((batch) => batch.protocol === "anthropic").reverse()
  for (const batch of all) state.advance(batch, false)
  const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit") ?? 20) || 20))
  const after = url.searchParams.get("after_id")
  const before = url.searchParams.get("before_id")
  const at = (id: string) => all.findIndex((batch) => batch.id === id)
  const start = before !== null ? Math.max(0, at(before) - limit) : after !== null ? at(after) + 1 : 0
  const end = before !== null ? Math.max(0, at(before)) : start + limit
  const page = all.slice(start, end)
  return jsonReply(200, {
    data: page.map((batch) => batchObject(batch, base)),
    has_more: before !== null ? start > 0 : end < all.length,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null
  })
}

export const anthropicBatchRoute = (state: FakeBatches, request: BatchRequest): RouteMatch | undefined => {
  const { method, url } = request
  const match = /^(.*\/messages\/batches)(?:\/([^/]+)(?:\/(cancel|results))?)?$/.exec(url.pathname)
  if (match === null) return undefined
  const base = `${url.origin}${match[1]}`
  const id = match[2]
  const action = match[3]
  if (id === undefined) {
    if (method === "POST") return { route: "anthropic.batches.create", serve: () => createBatch(state, request, base) }
    if (method === "GET") return { route: "anthropic.batches.list", serve: () => listBatches(state, url, base) }
    return undefined
  }
  const found = state.byId(id)
  const batch = found?.protocol === "anthropic" ? found : undefined
  const missing = () => refuse(404, `No message batch found with id '${id}'.`)
  if (method === "GET" && action === undefined) {
    return {
      route: "anthropic.batches.retrieve",
      serve: () => {
        if (batch === undefined) return missing()
        state.advance(batch, true)
        return jsonReply(200, batchObject(batch, base))
      }
    }
  }
  if (method === "POST" && action === "cancel") {
    return {
      route: "anthropic.batches.cancel",
      serve: () => {
        if (batch === undefined) return missing()
        state.cancel(batch)
        return jsonReply(200, batchObject(batch, base))
      }
    }
  }
  if (method === "GET" && action === "results") {
    return {
      route: "anthropic.batches.results",
      serve: () => {
        if (batch === undefined) return missing()
        if (batch.phase !== "ended") return refuse(404, `Message batch ${id} has not ended; it has no results yet.`)
        const body = anthropicResultLines(batch).map((line) => `${line}\n`).join("")
        return { status: 200, body, contentType: "application/binary" }
      }
    }
  }
  return undefined
}
