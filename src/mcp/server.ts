/**
 * What both MCP transports share: the server's identity, the protocol revisions it speaks and the
 * tool registrations. `http.ts` and `stdio.ts` only add a transport.
 */
import { Layer } from "effect"
import { McpProtocol, McpServer } from "effect/ai"
import packageJson from "../../package.json" with { type: "json" }
import { jobRegistrations, type JobOwner } from "./jobTools.ts"
import { LlmBatchToolkit, LlmBatchToolkitHandlers } from "./tools.ts"

/**
 * Every revision effect implements. The first sessionful one is the fallback for a client that
 * offers an unknown version; 2026-07-28 is sessionless and picked by its own request metadata.
 */
export const protocols = [
  McpProtocol.v2025_11_25,
  McpProtocol.v2025_06_18,
  McpProtocol.v2025_03_26,
  McpProtocol.v2024_11_05,
  McpProtocol.v2026_07_28
] as const

export const serverInfo = {
  name: "llm-batch",
  version: packageJson.version,
  description: "Runs batches of LLM questions across providers: concurrent, chained, validated, cached.",
  instructions: "Use `ask` for one LLM question and `batch_ask` for several (fan-out, model comparison, or " +
    "chains where `{Q<n>_result}` inserts an earlier answer). Models are written `provider/model`. " +
    "Each result carries its own status; read `error_message` on failed items. For work too big or too long " +
    "for one call, `batch_submit` stores it as a durable job: poll `batch_status`, read `batch_results` page by page."
}

/**
 * The tools, registered on whichever transport's `McpServer` they are given to; `owner` (a
 * middleware providing `JobOwner`) says who calls on that transport: whose batch jobs a call sees,
 * and whose turn at the upstream slots a batch takes.
 */
export const registrations = <E, R>(owner: Layer.Layer<McpServer.McpRequest.From<"Requires", JobOwner>, E, R>) =>
  Layer.mergeAll(
    McpServer.toolkit(LlmBatchToolkit).pipe(Layer.provide(owner), Layer.provide(LlmBatchToolkitHandlers)),
    jobRegistrations(owner)
  )
