/**
 * SDK clients are built once per (provider, base URL, key, address guard) and reused: they hold
 * connection pools, and a guarded client must never serve an unguarded target or the reverse.
 * Base URLs come from callers (`api_base`), so the pool is bounded: past `maxClients` the least
 * recently used client is dropped (its sockets belong to the shared agents, not to it).
 */
import { publicOnly } from "./addressGuard.ts"
import { makeSdkFetch, type SdkFetchOptions } from "./fetch.ts"
import type { Target } from "./types.ts"

/** Most SDK clients kept (docs/security.md, *Limits*): ~33,000 distinct bases once exhausted a 256 MB heap. */
export const maxClients = 256

export class ClientPool<Client> {
  private readonly clients = new Map<string, Client>()
  private readonly build: (target: Target) => Client
  private readonly max: number
  constructor(build: (target: Target) => Client, max = maxClients) {
    this.build = build
    this.max = max
  }

  get(provider: string, target: Target): Client {
    const key = `${provider}\u0000${target.baseUrl}\u0000${target.apiKey ?? ""}\u0000${target.publicOnly}`
    let client = this.clients.get(key)
    if (client === undefined) {
      client = this.build(target)
      if (this.clients.size >= this.max) {
        const oldest = this.clients.keys().next()
        if (oldest.done !== true) this.clients.delete(oldest.value)
      }
    } else {
      // Map order is insertion order: re-inserting marks it the most recently used.
      this.clients.delete(key)
    }
    this.clients.set(key, client)
    return client
  }

  get size(): number {
    return this.clients.size
  }
}

/**
 * A pool of one SDK's clients: each gets our fetch (the address guard for a `publicOnly` target)
 * and `build` adds what the SDK needs (its key options); SDK retries are off, the timeout is the call's.
 */
export const sdkClients = <Client>(
  fetchOptions: SdkFetchOptions,
  build: (target: Target, options: SdkClientOptions) => Client
): ClientPool<Client> => {
  const sdkFetch = makeSdkFetch(fetchOptions)
  const guardedFetch = makeSdkFetch({ ...fetchOptions, guard: publicOnly() })
  return new ClientPool((target) =>
    build(target, {
      baseURL: target.baseUrl,
      maxRetries: 0,
      timeout: target.timeoutMs,
      fetch: target.publicOnly ? guardedFetch : sdkFetch
    })
  )
}

/** The options both SDKs' constructors take alike. */
export interface SdkClientOptions {
  readonly baseURL: string
  readonly maxRetries: number
  readonly timeout: number
  readonly fetch: ReturnType<typeof makeSdkFetch>
}
