/**
 * Redis for tests: a unique key prefix on the shared server (127.0.0.1:6379, cleaned up after the
 * test, never flushed), a MONITOR tap filtered to that prefix, and throwaway `redis-server`
 * processes on free ports for outage tests (killed, frozen and restarted at will).
 */
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { Socket } from "node:net"
import { freePortPromise } from "./ports.ts"
import { Redis } from "ioredis"

export const sharedRedisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** A fresh key prefix on the shared Redis; every key under it is deleted when the scope closes. */
export const redisPrefix = Effect.acquireRelease(
  Effect.sync(() => `test:llm-batch:${randomUUID()}:`),
  (prefix) => Effect.promise(() => deleteKeys(prefix))
)

/** Deletes every key under `prefix` (SCAN + DEL, never a flush); the bench cleans up with it too. */
export const deleteKeys = async (prefix: string, url = sharedRedisUrl) => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      if (Array.isArray(keys) && keys.length > 0) await redis.del(...keys.map(String))
    }
  } finally {
    redis.disconnect()
  }
}

/** A client on the shared Redis for the test's own reads. */
export const redisClient = Effect.acquireRelease(
  Effect.promise(async () => {
    const redis = new Redis(sharedRedisUrl, { lazyConnect: true })
    await redis.connect()
    return redis
  }),
  (redis) => Effect.sync(() => redis.disconnect())
)

export interface MonitoredCommand {
  readonly name: string
  readonly args: ReadonlyArray<string>
}

/** Every command any client sends that mentions `prefix`, in order (MONITOR sees all clients). */
export const monitorPrefix = (prefix: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const redis = new Redis(sharedRedisUrl)
      const monitor = await redis.monitor()
      const seen: Array<MonitoredCommand> = []
      monitor.on("monitor", (_time: string, args: ReadonlyArray<string>) => {
        if (args.some((arg) => String(arg).includes(prefix))) {
          seen.push({ name: String(args[0]).toUpperCase(), args: args.slice(1).map(String) })
        }
      })
      return { seen, monitor, redis }
    }),
    ({ monitor, redis }) =>
      Effect.sync(() => {
        monitor.disconnect()
        redis.disconnect()
      })
  ).pipe(Effect.map(({ seen }) => seen))

/** A loopback port nothing listens on (briefly bound, then released). */
export const freePort = Effect.promise(freePortPromise)

/** Resolves once something on `port` answers PING with PONG. */
const waitForPong = async (port: number, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket()
      const done = (result: boolean) => {
        socket.destroy()
        resolve(result)
      }
      socket.setTimeout(200, () => done(false))
      socket.once("error", () => done(false))
      socket.once("data", (data) => done(data.toString().startsWith("+PONG")))
      socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`)
}

export interface OwnRedis {
  readonly port: number
  readonly url: string
  /** Starts (or restarts) the server; it holds nothing on disk, so a restart starts empty. */
  readonly start: Effect.Effect<void>
  readonly kill: Effect.Effect<void>
  /** SIGSTOP: the server keeps its connections open but answers nothing. */
  readonly freeze: Effect.Effect<void>
  readonly thaw: Effect.Effect<void>
}

/** A throwaway `redis-server` on a free port, killed when the scope closes. */
export const ownRedis = (options: { readonly started: boolean }) =>
  Effect.gen(function*() {
    const port = yield* freePort
    let child: ChildProcess | undefined
    const kill = Effect.promise(async () => {
      const current = child
      child = undefined
      if (current === undefined || current.exitCode !== null) return
      const exited = new Promise((resolve) => current.once("exit", resolve))
      current.kill("SIGCONT")
      current.kill("SIGKILL")
      await exited
    })
    const start = Effect.promise(async () => {
      if (child !== undefined) return
      child = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        { stdio: "ignore" }
      )
      await waitForPong(port, 5_000)
    })
    const signal = (name: NodeJS.Signals) => Effect.sync(() => child?.kill(name))
    yield* Effect.addFinalizer(() => kill)
    if (options.started) yield* start
    const redis: OwnRedis = {
      port,
      url: `redis://127.0.0.1:${port}`,
      start,
      kill,
      freeze: Effect.asVoid(signal("SIGSTOP")),
      thaw: Effect.asVoid(signal("SIGCONT"))
    }
    return redis
  })
