/**
 * A lean load generator: keep-alive connections on raw sockets, each sending the next POST as soon
 * as the previous answer is complete. It parses only what it needs (status, Content-Length), so it
 * spends a fraction of autocannon's CPU per request: on a 2-core machine the load generator's own
 * CPU otherwise comes out of the service's share. Used by bench/load.ts.
 */
import { connect, type Socket } from "node:net"

export interface RawLoadResult {
  readonly latencies: ReadonlyArray<number>
  readonly failed: number
}

const headerEnd = Buffer.from("\r\n\r\n")

/**
 * `body(n)` is the n-th request's JSON body; every connection runs until `seconds` have passed.
 * `headers`: more header lines (`name: value`), sent with every request.
 */
export const rawLoad = (
  url: string,
  connections: number,
  seconds: number,
  body: (n: number) => string,
  headers: ReadonlyArray<string> = []
) =>
  new Promise<RawLoadResult>((resolve, reject) => {
    const { hostname, port, pathname } = new URL(url)
    const latencies: Array<number> = []
    const deadline = performance.now() + seconds * 1_000
    let sent = 0
    let failed = 0
    let open = connections

    const extra = headers.map((line) => `${line}\r\n`).join("")
    const request = () => {
      const payload = body(sent++)
      return `POST ${pathname} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\n${extra}` +
        `content-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`
    }

    const run = (socket: Socket) => {
      let pending: Buffer = Buffer.alloc(0)
      let startedAt = 0
      const next = () => {
        if (performance.now() >= deadline) return void socket.end()
        startedAt = performance.now()
        socket.write(request())
      }
      socket.setNoDelay(true)
      socket.on("connect", next)
      socket.on("data", (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
        const end = pending.indexOf(headerEnd)
        if (end < 0) return
        const head = pending.subarray(0, end).toString("latin1")
        const length = /\r\ncontent-length: *(\d+)/i.exec(head)
        if (length === null) return void socket.destroy(new Error(`no Content-Length in an answer: ${head}`))
        const total = end + headerEnd.length + Number(length[1])
        if (pending.length < total) return
        // One request in flight per connection: nothing may follow the answer.
        pending = pending.subarray(total)
        if (head.startsWith("HTTP/1.1 200")) latencies.push(performance.now() - startedAt)
        else failed += 1
        next()
      })
      socket.on("error", reject)
      socket.on("close", () => {
        if (--open === 0) resolve({ latencies, failed })
      })
    }

    for (let i = 0; i < connections; i++) run(connect(Number(port), hostname))
  })
