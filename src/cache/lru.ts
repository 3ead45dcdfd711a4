/**
 * A bounded least-recently-used map with per-entry expiry: the storage of the embedded cache.
 * Bounded by entry count and by bytes, so a process without Redis cannot grow without limit.
 */

interface Slot<V> {
  readonly value: V
  readonly bytes: number
  readonly expiresAt: number
}

export interface LruBounds {
  readonly maxEntries: number
  readonly maxBytes: number
}

export class BoundedLru<V> {
  // A Map iterates in insertion order: re-inserting on every read keeps the oldest use first.
  private readonly slots = new Map<string, Slot<V>>()
  private totalBytes = 0

  readonly bounds: LruBounds

  constructor(bounds: LruBounds) {
    this.bounds = bounds
  }

  get size(): number {
    return this.slots.size
  }

  get bytes(): number {
    return this.totalBytes
  }

  get(key: string, now: number): V | undefined {
    const slot = this.slots.get(key)
    if (slot === undefined) return undefined
    this.remove(key, slot)
    if (slot.expiresAt <= now) return undefined
    this.slots.set(key, slot)
    this.totalBytes += slot.bytes
    return slot.value
  }

  /** Stores and evicts the least recently used entries until both bounds hold again. */
  set(key: string, value: V, bytes: number, expiresAt: number): void {
    const previous = this.slots.get(key)
    if (previous !== undefined) this.remove(key, previous)
    // An entry larger than the whole budget would evict everything and still not fit.
    if (bytes > this.bounds.maxBytes) return
    this.slots.set(key, { value, bytes, expiresAt })
    this.totalBytes += bytes
    for (const [oldest, slot] of this.slots) {
      if (this.slots.size <= this.bounds.maxEntries && this.totalBytes <= this.bounds.maxBytes) break
      this.remove(oldest, slot)
    }
  }

  private remove(key: string, slot: Slot<V>): void {
    this.slots.delete(key)
    this.totalBytes -= slot.bytes
  }
}
