/**
 * With API_KEYS, an MCP session belongs to the key that opened it: `initialize` records a digest of
 * that key under the new session id, and every later request with the id (tools/call, DELETE, …)
 * must present the same key. Any other key gets the 404 of an unknown session, so knowing a session
 * id is not enough to use it, end it, or learn that it exists.
 *
 * effect's transport never expires sessions. This table forgets them when they are deleted, and
 * keeps at most `maxOwnedSessions` (least recently used out first): a session it forgot must be
 * opened again, like an expired one.
 */
import { Effect } from "effect"
import { HttpEffect, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { AppConfig } from "../config/AppConfig.ts"
import { presentedKeyDigest, sameKeyDigest } from "../http/auth.ts"

const sessionHeader = "mcp-session-id"

export const maxOwnedSessions = 10_000

const unknownSession = HttpServerResponse.jsonUnsafe(
  { error: "unknown MCP session for this API key; send initialize to open a new one" },
  { status: 404 }
)

/** Session id → digest of the key that opened it, bounded; the least recently used goes first. */
export class SessionOwners {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly owners = new Map<string, Buffer>()
  private readonly max: number

  constructor(max: number) {
    this.max = max
  }

  get size(): number {
    return this.owners.size
  }

  open(sessionId: string, key: Buffer): void {
    this.owners.delete(sessionId)
    this.owners.set(sessionId, key)
    for (const oldest of this.owners.keys()) {
      if (this.owners.size <= this.max) break
      this.owners.delete(oldest)
    }
  }

  /** Whether `key` opened the session (compared in constant time); a use keeps it from eviction. */
  isOwner(sessionId: string, key: Buffer | undefined): boolean {
    const owner = this.owners.get(sessionId)
    if (owner === undefined || key === undefined || !sameKeyDigest(owner, key)) return false
    this.open(sessionId, owner)
    return true
  }

  forget(sessionId: string): void {
    this.owners.delete(sessionId)
  }
}

export const sessionOwnerGuard = HttpRouter.middleware(Effect.gen(function*() {
  const config = yield* AppConfig
  const owners = new SessionOwners(maxOwnedSessions)

  return (handle) =>
    Effect.gen(function*() {
      // Without API_KEYS there is no key to bind a session to.
      if (config.apiKeys.length === 0) return yield* handle
      const request = yield* HttpServerRequest.HttpServerRequest
      const key = presentedKeyDigest(request)
      const sessionId = request.headers[sessionHeader]
      if (sessionId === undefined) {
        const response = yield* handle
        // An initialize: effect adds the new session's id to the answer in its own pre-response
        // handler, registered while `handle` ran, so this one (registered after) sees it.
        if (key !== undefined) {
          yield* HttpEffect.appendPreResponseHandler((_, sent) =>
            Effect.sync(() => {
              const opened = sent.headers[sessionHeader]
              if (opened !== undefined && sent.status < 300) owners.open(opened, key)
              return sent
            })
          )
        }
        return response
      }
      if (!owners.isOwner(sessionId, key)) return unknownSession
      const response = yield* handle
      if (request.method === "DELETE" && response.status === 204) owners.forget(sessionId)
      return response
    })
}))
