/**
 * Why MCP progress is checked on the wire: the SDK client drops a progress notification that
 * arrives in the same read as its call's response (modelcontextprotocol/typescript-sdk#2580), a
 * race no server can prevent. A scripted server sends both in one turn to pin it.
 */
import { describe, expect, it } from "@effect/vitest"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { isJSONRPCRequest, type JSONRPCMessage, LATEST_PROTOCOL_VERSION, type Progress } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { callWithProgress, connect } from "../support/Mcp.ts"

/** A client transport whose server answers a tool call with one progress notification and the result, at once. */
const racingServer = () => {
  const [client, server] = InMemoryTransport.createLinkedPair()
  const send = (message: JSONRPCMessage) => void server.send(message)
  server.onmessage = (message) => {
    if (!isJSONRPCRequest(message)) return
    if (message.method === "initialize") {
      const serverInfo = { name: "race", version: "1" }
      send({
        jsonrpc: "2.0",
        id: message.id,
        result: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: { tools: {} }, serverInfo }
      })
    } else if (message.method === "tools/call") {
      const progressToken = message.params?._meta?.progressToken ?? "none"
      send({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken, progress: 1, total: 1 } })
      send({ jsonrpc: "2.0", id: message.id, result: { content: [] } })
    }
  }
  return client
}

describe("progress sent just before a tool call's response", () => {
  it.effect("is lost by the SDK's onprogress, and read by callWithProgress", () =>
    Effect.gen(function*() {
      const sdk = yield* connect(racingServer())
      const seen: Array<Progress> = []
      yield* Effect.promise(() =>
        sdk.client.callTool({ name: "t", arguments: {} }, undefined, { onprogress: (p) => seen.push(p) })
      )
      // The notification did arrive, before the response; its handler ran after the response's.
      expect(sdk.received.map((message) => "method" in message ? message.method : "response")).toEqual([
        "notifications/progress",
        "response"
      ])
      expect(seen).toEqual([])

      const wire = yield* connect(racingServer())
      const { progress } = yield* callWithProgress(wire, { name: "t", arguments: {} })
      expect(progress.map((p) => [p.progress, p.total])).toEqual([[1, 1]])
      expect(wire.transportErrors).toEqual([])
    }))
})
