import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { LookupAddress } from "node:dns"
import { connect } from "node:net"
import { internalHost, InternalAddressError, publicOnlyLookup, type Resolver } from "../../src/llm/addressGuard.ts"
import { FakeUpstream } from "../support/FakeUpstream.ts"

/** Loopback, private, link-local (metadata), unique-local and other special hosts, as callers may spell them. */
const internalSpellings: ReadonlyArray<string> = [
  "http://127.0.0.1",
  "http://127.1",
  "http://2130706433",
  "http://0x7f.1",
  "http://017700000001",
  "http://0.0.0.0",
  "http://0",
  "http://[::1]",
  "http://[0:0:0:0:0:0:0:1]",
  "http://[::ffff:127.0.0.1]",
  "http://[::127.0.0.1]",
  "http://[::]",
  "http://localhost",
  "http://LOCALHOST.",
  "http://api.localhost",
  "http://10.0.0.1",
  "http://172.16.5.4",
  "http://192.168.1.1",
  "http://169.254.169.254",
  "http://100.100.100.200",
  "http://[fe80::1]",
  "http://[fd00:ec2::254]",
  "http://[::ffff:169.254.169.254]",
  "http://[64:ff9b::a9fe:a9fe]",
  "http://[2002:a9fe:a9fe::]",
  "http://224.0.0.1",
  "http://255.255.255.255"
]

/** A resolver that answers every name with these addresses (a DNS server under the caller's control). */
const answering = (...addresses: ReadonlyArray<string>): Resolver => () =>
  Promise.resolve(addresses.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 })))

/** What `lookup` calls back with, as a promise. */
const lookUp = (resolver: Resolver, all: boolean) =>
  new Promise<{ error: unknown; address: unknown }>((resolve) =>
    publicOnlyLookup(resolver)("rebind.example", { all }, (error, address) => resolve({ error, address }))
  )

describe("internalHost", () => {
  for (const spelling of internalSpellings) {
    it(`refuses ${spelling} without a lookup`, () => {
      expect(internalHost(new URL(`${spelling}:8080/v1`))).toBeDefined()
    })
  }

  it("lets public addresses and names through to the connect-time check", () => {
    for (const url of ["https://8.8.8.8/v1", "https://[2606:4700::1111]/v1", "https://api.example.com/v1"]) {
      expect(internalHost(new URL(url))).toBeUndefined()
    }
  })
})

describe("publicOnlyLookup", () => {
  it.live("fails a name that resolves to a loopback address", () =>
    Effect.gen(function*() {
      const { error } = yield* Effect.promise(() => lookUp(answering("127.0.0.1"), false))
      expect(error).toBeInstanceOf(InternalAddressError)
      expect((error as InternalAddressError).message).toContain("ALLOWED_API_BASES")
    }))

  it.live("fails a name when any one of its addresses is internal", () =>
    Effect.gen(function*() {
      const { error } = yield* Effect.promise(() => lookUp(answering("93.184.215.14", "::ffff:10.0.0.1"), true))
      expect(error).toBeInstanceOf(InternalAddressError)
    }))

  it.live("answers a public name in both of Node's lookup modes", () =>
    Effect.gen(function*() {
      const one = yield* Effect.promise(() => lookUp(answering("93.184.215.14", "2606:2800:21f::1"), false))
      expect(one).toEqual({ error: null, address: "93.184.215.14" })
      const all = yield* Effect.promise(() => lookUp(answering("93.184.215.14", "2606:2800:21f::1"), true))
      expect(all.error).toBeNull()
      expect(all.address).toEqual([{ address: "93.184.215.14", family: 4 }, { address: "2606:2800:21f::1", family: 6 }])
    }))

  it.live("keeps a socket from connecting to the internal address a name resolves to", () =>
    Effect.gen(function*() {
      const upstream = yield* FakeUpstream
      const port = Number(new URL(upstream.url).port)
      const error = yield* Effect.promise(() =>
        new Promise<unknown>((resolve) => {
          const socket = connect({ host: "rebind.example", port, lookup: publicOnlyLookup(answering("127.0.0.1")) })
          socket.on("connect", () => {
            socket.destroy()
            resolve(undefined)
          })
          socket.on("error", resolve)
        })
      )
      expect(error).toBeInstanceOf(InternalAddressError)
      expect(upstream.requests).toHaveLength(0)
    }).pipe(Effect.provide(FakeUpstream.layer)))
})
