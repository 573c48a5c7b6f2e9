// Connection admission of one port: at most `connectionsMax` open, at most `perAddressMax` from
// one IP. A full port admits a new connection by closing the least recently active untrusted one
// (trusted: brokers, peers and admins that authenticated), so nobody can lock them out by holding
// idle connections; under pressure, untrusted connections idle for a while are closed as well.
// Pure: time is an argument, closing is the caller's.

/** Why a connection was not admitted. */
export type AdmissionRefusal = "perAddress" | "full";

/** A connection admit() closes: idle under pressure, or the least recently active of a full port. */
export interface Eviction<T> {
  readonly connection: T;
  readonly reason: "idle" | "full";
}

/** The outcome of admit(): the connections to close to make room, or why the new one is refused. */
export type Admission<T> = { readonly admitted: true; readonly evicted: readonly Eviction<T>[] } | { readonly admitted: false; readonly reason: AdmissionRefusal };

/** Bounds of one port. */
export interface SlotLimits {
  readonly connectionsMax: number;
  readonly perAddressMax: number;
  /** Above this many open connections, untrusted ones idle for `idleUnderPressureMs` are closed. */
  readonly pressureConnections: number;
  readonly idleUnderPressureMs: number;
}

interface Slot {
  readonly ip: string;
  lastActiveMs: number;
  trusted: boolean;
}

/** The open connections of one port, untrusted ones in order of last activity. */
export class ConnectionSlots<T> {
  private readonly slots = new Map<T, Slot>();
  /** Untrusted connections, least recently active first (a Map keeps insertion order). */
  private readonly untrusted = new Map<T, Slot>();
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly limits: SlotLimits) {}

  /** Open connections. */
  get size(): number {
    return this.slots.size;
  }

  /** Open connections marked trusted. */
  get trustedCount(): number {
    return this.slots.size - this.untrusted.size;
  }

  /**
   * Admits `connection` from `ip`, untrusted: closes (returns) untrusted connections idle too long
   * under pressure, and the least recently active untrusted one when the port is full. Refused
   * when `ip` is at its bound or every open connection is trusted.
   */
  admit(connection: T, ip: string, nowMs: number): Admission<T> {
    if ((this.perAddress.get(ip) ?? 0) >= this.limits.perAddressMax) return { admitted: false, reason: "perAddress" };
    const evicted: Eviction<T>[] = [];
    if (this.slots.size >= this.limits.pressureConnections) {
      for (const [idle, slot] of this.untrusted) {
        if (nowMs - slot.lastActiveMs < this.limits.idleUnderPressureMs) break;
        evicted.push({ connection: idle, reason: "idle" });
      }
    }
    if (this.slots.size - evicted.length >= this.limits.connectionsMax) {
      // The idle ones taken above are the first untrusted entries: the next one is the oldest left.
      const order = this.untrusted.keys();
      for (let skipped = 0; skipped < evicted.length; skipped++) order.next();
      const oldest = order.next();
      if (oldest.done === true) return { admitted: false, reason: "full" };
      evicted.push({ connection: oldest.value, reason: "full" });
    }
    for (const victim of evicted) this.release(victim.connection);
    const slot: Slot = { ip, lastActiveMs: nowMs, trusted: false };
    this.slots.set(connection, slot);
    this.untrusted.set(connection, slot);
    this.perAddress.set(ip, (this.perAddress.get(ip) ?? 0) + 1);
    return { admitted: true, evicted };
  }

  /** Traffic on `connection`: it becomes the most recently active. */
  touch(connection: T, nowMs: number): void {
    const slot = this.slots.get(connection);
    if (slot === undefined) return;
    slot.lastActiveMs = nowMs;
    if (slot.trusted) return;
    this.untrusted.delete(connection);
    this.untrusted.set(connection, slot);
  }

  /** `connection` authenticated (broker, peer, admin): never closed to make room. */
  trust(connection: T): void {
    const slot = this.slots.get(connection);
    if (slot === undefined || slot.trusted) return;
    slot.trusted = true;
    this.untrusted.delete(connection);
  }

  /** Whether `connection` is open here and trusted. */
  isTrusted(connection: T): boolean {
    return this.slots.get(connection)?.trusted === true;
  }

  /** `connection` closed (or was evicted): frees its slot. */
  release(connection: T): void {
    const slot = this.slots.get(connection);
    if (slot === undefined) return;
    this.slots.delete(connection);
    this.untrusted.delete(connection);
    const left = (this.perAddress.get(slot.ip) ?? 1) - 1;
    if (left <= 0) this.perAddress.delete(slot.ip);
    else this.perAddress.set(slot.ip, left);
  }
}
