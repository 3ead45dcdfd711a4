/** OpenAI's Files and Batch APIs, as the `openai` SDK calls them, on any base path (`…/files`, `…/batches`). */
import { providerError } from "./fakeAnswers.ts"
import { openAiCounts } from "./fakeBatchLines.ts"
import { type BatchLine, type BatchRequest, FakeBatch, jsonReply, type Reply, type RouteMatch, type StoredFile } from "./fakeBatchModel.ts"
import type { FakeBatches } from "./fakeBatches.ts"

const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000))
const day = 24 * 60 * 60 * 1000

const refuse = (status: number, message: string, code: string | null = null): Reply =>
  jsonReply(status, providerError("openai", status, message, code))

const fileObject = (file: StoredFile) => ({
  id: file.id,
  object: "file",
  bytes: Buffer.byteLength(file.content),
  created_at: seconds(file.createdAt),
  filename: file.filename,
  purpose: file.purpose,
  status: "processed",
  expires_at: null,
  status_details: null
})

const status = (batch: FakeBatch) => {
  switch (batch.phase) {
    case "validating":
      return "validating"
    case "cancelling":
      return "cancelling"
    case "running":
      return batch.done === batch.lines.length ? "finalizing" : "in_progress"
    case "ended":
      return batch.endedAs ?? "completed"
  }
}

const batchObject = (batch: FakeBatch) => {
  const ended = (as: string) => (batch.endedAs === as ? seconds(batch.endedAt) : null)
  const model = batch.lines[0]?.body.model
  return {
    id: batch.id,
    object: "batch",
    endpoint: batch.endpoint,
    model: typeof model === "string" ? model : null,
    errors: batch.validationErrors.length === 0
      ? null
      : { object: "list", data: batch.validationErrors.map((error) => ({ ...error, param: null })) },
    input_file_id: batch.inputFileId,
    completion_window: "24h",
    status: status(batch),
    output_file_id: batch.outputFileId ?? null,
    error_file_id: batch.errorFileId ?? null,
    created_at: seconds(batch.createdAt),
    in_progress_at: batch.phase === "validating" || batch.endedAs === "failed" ? null : seconds(batch.createdAt),
    expires_at: seconds(batch.createdAt + day),
    finalizing_at: ended("completed") ?? ended("expired"),
    completed_at: ended("completed"),
    failed_at: ended("failed"),
    expired_at: ended("expired"),
    cancelling_at: seconds(batch.cancelledAt),
    cancelled_at: ended("cancelled"),
    request_counts: openAiCounts(batch),
    metadata: batch.metadata
  }
}

const uploadFile = async (state: FakeBatches, request: BatchRequest): Promise<Reply> => {
  const contentType = request.headers["content-type"] ?? ""
  const form = await new Response(new Uint8Array(request.raw), { headers: { "content-type": contentType } }).formData()
  const file = form.get("file")
  const purpose = form.get("purpose")
  if (typeof file === "string" || file === null) return refuse(400, "Missing required parameter: 'file'.")
  if (typeof purpose !== "string") return refuse(400, "Missing required parameter: 'purpose'.")
  const content = await file.text()
  state.uploadedBytes.openai += file.size
  if (file.size > state.limits("openai").bytes) {
    return refuse(400, `File is too large: ${file.size} bytes, at most ${state.limits("openai").bytes}.`, "file_too_large")
  }
  return jsonReply(200, fileObject(state.storeFile(file.name, purpose, content)))
}

/** The input file's lines, and what OpenAI's validation would find wrong with them. */
const readInput = (content: string, endpoint: string) => {
  const lines: Array<BatchLine> = []
  const errors: Array<{ code: string; message: string; line: number | null }> = []
  const seen = new Set<string>()
  const models = new Set<unknown>()
  content.split("\n").forEach((text, index) => {
    if (text.trim() === "") return
    const line = index + 1
    let parsed: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown }
    try {
      parsed = JSON.parse(text)
    } catch {
      errors.push({ code: "invalid_json_line", message: "This line is not parseable as valid JSON.", line })
      return
    }
    const { custom_id: customId, method, url, body } = parsed
    if (typeof customId !== "string") {
      errors.push({ code: "missing_required_parameter", message: "Missing required parameter: 'custom_id'.", line })
    } else if (seen.has(customId)) {
      errors.push({ code: "duplicate_custom_id", message: `The custom_id '${customId}' is not unique.`, line })
    } else if (method !== "POST" || url !== endpoint) {
      errors.push({ code: "mismatched_endpoint", message: `Each line must POST to the batch's endpoint ${endpoint}.`, line })
    } else if (typeof body !== "object" || body === null || Array.isArray(body)) {
      errors.push({ code: "missing_required_parameter", message: "Missing required parameter: 'body'.", line })
    } else {
      seen.add(customId)
      models.add((body as Record<string, unknown>).model)
      lines.push({ customId, body: { ...body } })
    }
  })
  if (lines.length === 0 && errors.length === 0) {
    errors.push({ code: "empty_file", message: "The batch input file is empty.", line: null })
  }
  if (models.size > 1) {
    errors.push({ code: "mismatched_model", message: "All lines of a batch must use the same model.", line: null })
  }
  return { lines, errors }
}

const createBatch = (state: FakeBatches, request: BatchRequest): Reply => {
  let params: { input_file_id?: unknown; endpoint?: unknown; completion_window?: unknown; metadata?: unknown }
  try {
    params = JSON.parse(request.raw.toString("utf8"))
  } catch {
    return refuse(400, "The body is not JSON.")
  }
  const { input_file_id: inputFileId, endpoint, completion_window: window, metadata } = params
  if (typeof endpoint !== "string") return refuse(400, "Missing required parameter: 'endpoint'.")
  if (window !== "24h") return refuse(400, "Invalid 'completion_window': only '24h' is supported.")
  const file = typeof inputFileId === "string" ? state.files.get(inputFileId) : undefined
  if (file === undefined) return refuse(404, `No such File object: ${String(inputFileId)}`)
  if (file.purpose !== "batch") return refuse(400, `File ${file.id} was not uploaded with purpose 'batch'.`)
  const { lines, errors } = readInput(file.content, endpoint)
  const limit = state.limits("openai").requests
  if (lines.length + errors.length > limit) {
    return refuse(400, `The batch has ${lines.length + errors.length} requests; at most ${limit} are allowed.`)
  }
  const script = state.takeScript(lines.map((line) => line.body))
  if (script.failValidation !== undefined) errors.push({ code: "invalid_request", message: script.failValidation, line: null })
  const batch = state.add(
    new FakeBatch({
      protocol: "openai",
      id: state.nextId("batch_"),
      lines,
      script,
      metadata: typeof metadata === "object" && metadata !== null ? { ...metadata } : null,
      endpoint,
      inputFileId: file.id,
      validationErrors: errors
    })
  )
  return jsonReply(200, batchObject(batch))
}

const openAiBatch = (state: FakeBatches, id: string) => {
  const batch = state.byId(id)
  return batch?.protocol === "openai" ? batch : undefined
}

const noBatch = (id: string) => refuse(404, `No batch found with id '${id}'.`)

const listBatches = (state: FakeBatches, url: URL): Reply => {
  const all = state.created.filter((batch) => batch.protocol === "openai").reverse()
  for (const batch of all) state.advance(batch, false)
  const after = url.searchParams.get("after")
  const start = after === null ? 0 : all.findIndex((batch) => batch.id === after) + 1
  const limit = Math.min(100, Math.max(1, Number(url.searchParams.get("limit") ?? 20) || 20))
  const page = all.slice(start, start + limit)
  return jsonReply(200, {
    object: "list",
    data: page.map(batchObject),
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
    has_more: start + limit < all.length
  })
}

const cancelBatch = (state: FakeBatches, batch: FakeBatch): Reply => {
  state.cancel(batch)
  if (batch.phase === "ended" && batch.endedAs !== "cancelled") {
    return refuse(400, `Cannot cancel a batch with status '${status(batch)}'.`)
  }
  return jsonReply(200, batchObject(batch))
}

export const openAiBatchRoute = (state: FakeBatches, request: BatchRequest): RouteMatch | undefined => {
  const { method, url } = request
  const path = url.pathname
  if (path.includes("/messages/")) return undefined
  if (method === "POST" && /\/files$/.test(path)) return { route: "openai.files.create", serve: () => uploadFile(state, request) }
  const file = /\/files\/([^/]+)(\/content)?$/.exec(path)
  if (method === "GET" && file !== null) {
    const stored = state.files.get(file[1]!)
    const missing = () => refuse(404, `No such File object: ${file[1]}`)
    return file[2] === undefined
      ? { route: "openai.files.retrieve", serve: () => (stored ? jsonReply(200, fileObject(stored)) : missing()) }
      : {
        route: "openai.files.content",
        serve: () =>
          stored ? { status: 200, body: stored.content, contentType: "application/octet-stream" } : missing()
      }
  }
  if (/\/batches$/.test(path)) {
    if (method === "POST") return { route: "openai.batches.create", serve: () => createBatch(state, request) }
    if (method === "GET") return { route: "openai.batches.list", serve: () => listBatches(state, url) }
  }
  const one = /\/batches\/([^/]+)(\/cancel)?$/.exec(path)
  if (one === null) return undefined
  const id = one[1]!
  if (method === "GET" && one[2] === undefined) {
    return {
      route: "openai.batches.retrieve",
      serve: () => {
        const batch = openAiBatch(state, id)
        if (batch === undefined) return noBatch(id)
        state.advance(batch, true)
        return jsonReply(200, batchObject(batch))
      }
    }
  }
  if (method === "POST" && one[2] !== undefined) {
    return {
      route: "openai.batches.cancel",
      serve: () => {
        const batch = openAiBatch(state, id)
        return batch === undefined ? noBatch(id) : cancelBatch(state, batch)
      }
    }
  }
  return undefined
}
