/**
 * Which hosts a caller's `api_base` may reach: public unicast addresses only. Loopback, private,
 * link-local (cloud metadata), unique-local, carrier-grade NAT, IPv4-embedding IPv6 ranges and
 * every other special range are refused, in any spelling: the WHATWG URL parser has already turned
 * `127.1`, `2130706433`, `0x7f.1` and `[::ffff:127.0.0.1]` into one canonical form.
 *
 * Checked twice: on the URL before any call (IP literals, which Node connects to without a lookup,
 * and `localhost` names), and on every address DNS returns at connect time, so the address checked
 * is the address connected to (DNS rebinding).
 */
import { Data } from "effect"
import ipaddr from "ipaddr.js"
import { type LookupAddress, type LookupAllOptions, promises as dns } from "node:dns"
import { isIP, type LookupFunction } from "node:net"

/** A caller's base URL led to an internal address; raised before any byte is sent to it. */
export class InternalAddressError extends Data.TaggedError("InternalAddressError")<{
  readonly host: string
  readonly address: string
}> {
  override get message() {
    return `refused to connect to ${this.host} (${this.address}): a per-question api_base may only reach ` +
      `public addresses; an operator can allow its origin with ALLOWED_API_BASES`
  }
}

/** IANA's global unicast block: every other IPv6 range is special-purpose or unassigned. */
const globalUnicastV6 = ipaddr.IPv6.parseCIDR("2000::/3")

/** Whether an IP address (any notation `ipaddr.js` reads) is public unicast. */
export const isPublicAddress = (address: string): boolean => {
  if (!ipaddr.isValid(address)) return false
  // `process` unwraps IPv4-mapped IPv6 (::ffff:127.0.0.1 is 127.0.0.1).
  const ip = ipaddr.process(address)
  if (ip.range() !== "unicast") return false
  return ip instanceof ipaddr.IPv4 || ip.match(globalUnicastV6)
}

/** A URL's host without IPv6 brackets or the trailing dot of a fully qualified name. */
const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "")

/**
 * The host of `url` when it is internal without any lookup — an IP literal outside public
 * unicast, or `localhost` / `*.localhost` (RFC 6761) — else undefined.
 */
export const internalHost = (url: URL): string | undefined => {
  const host = hostOf(url)
  if (isIP(host) !== 0) return isPublicAddress(host) ? undefined : host
  return host === "localhost" || host.endsWith(".localhost") ? host : undefined
}

/** Every address of a name (Node's `dns.lookup` by default; tests inject their own answers). */
export type Resolver = (hostname: string, options: LookupAllOptions) => Promise<ReadonlyArray<LookupAddress>>

const systemResolver: Resolver = (hostname, options) => dns.lookup(hostname, options)

/**
 * A socket `lookup` that only yields public addresses: it resolves all of a name's addresses and
 * fails with `InternalAddressError` if any is internal, so no fallback address can slip through.
 */
export const publicOnlyLookup = (resolve: Resolver = systemResolver): LookupFunction =>
(hostname, options, callback) => {
  resolve(hostname, { ...options, all: true }).then(
    (addresses) => {
      const refused = addresses.find((entry) => !isPublicAddress(entry.address))
      const first = addresses[0]
      if (refused !== undefined) {
        callback(new InternalAddressError({ host: hostname, address: refused.address }), "")
      } else if (first === undefined) {
        callback(Object.assign(new Error(`no address found for ${hostname}`), { code: "ENOTFOUND" }), "")
      } else if (options.all === true) {
        callback(null, [...addresses])
      } else {
        callback(null, first.address, first.family)
      }
    },
    (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), "")
  )
}

/** What a connection that may only reach public addresses needs: sdkFetch applies both. */
export interface AddressGuard {
  /** Refuses an internal IP-literal host, which Node connects to without calling `lookup`. */
  readonly checkUrl: (url: URL) => InternalAddressError | undefined
  /** Resolves names, refusing internal answers. */
  readonly lookup: LookupFunction
}

/** The guard for a caller's `api_base` outside ALLOWED_API_BASES. */
export const publicOnly = (resolve: Resolver = systemResolver): AddressGuard => ({
  checkUrl: (url) => {
    const host = hostOf(url)
    return isIP(host) === 0 || isPublicAddress(host) ? undefined : new InternalAddressError({ host, address: host })
  },
  lookup: publicOnlyLookup(resolve)
})
