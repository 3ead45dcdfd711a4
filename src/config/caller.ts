/**
 * Who sends a batch, for the fair share of upstream slots, read from its bearer key the same way by
 * every surface (HTTP, /rpc, /mcp): here, below them all, so none of them owns it. The key itself is
 * never kept, only its SHA-256 digest.
 */
import { createHash } from "node:crypto"
import type { AppConfigShape } from "./AppConfig.ts"

/** A key's SHA-256 digest: what keys are compared by (in constant time, by the HTTP auth). */
export const keyDigest = (value: string): Buffer => createHash("sha256").update(value).digest()

/** The key of an `Authorization: Bearer <key>` header, or undefined without one. */
export const bearerKey = (authorization: string | undefined): string | undefined =>
  /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim()

/** The caller's identity for the fair share of slots: the key's digest, never the key. */
export const callerOf = (digest: Buffer): string => digest.toString("base64url")

/**
 * Who sent a batch, for the fair share of upstream slots: a digest of the bearer key when auth is
 * on (the key itself is not kept), "" when it is off.
 */
export const callerKey = (config: AppConfigShape, authorization: string | undefined): string => {
  const key = config.apiKeys.length === 0 ? undefined : bearerKey(authorization)
  return key === undefined ? "" : callerOf(keyDigest(key))
}
