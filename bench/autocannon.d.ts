/** The part of autocannon's API (it ships no types) that bench/load.ts uses. */
declare module "autocannon" {
  import type { EventEmitter } from "node:events"

  interface Options {
    readonly url: string
    readonly connections: number
    readonly duration: number
    readonly method: "POST"
    readonly headers: Readonly<Record<string, string>>
    readonly body: string
    /** Replaces `[<id>]` in the body with a fresh id on every request. */
    readonly idReplacement: boolean
  }

  interface Result {
    readonly errors: number
    readonly timeouts: number
    readonly non2xx: number
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    on(event: "response", listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void): this
  }

  export default function autocannon(options: Options): Instance
}
