/**
 * SDK clients are built once per (provider, base URL, key, address guard) and reused: they hold
 * connection pools, and a guarded client must never serve an unguarded target or the reverse.
 */
import type { Target } from "./types.ts"

export class ClientPool<Client> {
  private readonly clients = new Map<string, Client>()
  private readonly build: (target: Target) => Client
  constructor(build: (target: Target) => Client) {
    this.build = build
  }

  get(provider: string, target: Target): Client {
    const key = `${provider}\u0000${target.baseUrl}\u0000${target.apiKey ?? ""}\u0000${target.publicOnly}`
    let client = this.clients.get(key)
    if (client === undefined) {
      client = this.build(target)
      this.clients.set(key, client)
    }
    return client
  }

  get size(): number {
    return this.clients.size
  }
}
