// Goal: `--peer-dns` discovery through the real PeerDialer: every address a name resolves to
// is linked, our own address (in the record too) is recognised by its hello and never dialed
// again, a failed lookup keeps every link, and an address that vanishes from DNS keeps its link
// until the usual peer-down rules close it, after which it is not redialed.
// Method: a scripted fake resolver, fake sockets that answer the peer hello with the node id of
// their address, a hub stub recording links, and the client's FakeScheduler; no DNS, no sockets.
import pino from "pino";
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { FakeScheduler } from "../client/fake_transport.js";
import { ErrorCode } from "../errors.js";
import { PEER_DNS_INTERVAL_MS, PROTOCOL_VERSION_MAX } from "../limits.js";
import { FrameKind, RequestCode } from "../protocol/codes.js";
import { decodeFrame, encodeFrame } from "../protocol/frame.js";
import type { ConnectionHandlers } from "../transport/connection.js";
import { FakeResolver } from "../transport/fake_resolver.js";
import type { DialedConnection, DialOptions } from "../transport/ws_dialer.js";
import { PeerDialer } from "./peer_dialer.js";
import { PeerDns } from "./peer_dns.js";
import type { PeerHub, PeerLink } from "./peer_hub.js";

const SELF_ID = "ns-self";

/** A dialed socket whose far end answers the hello as node `nodeId`; null: nothing listens. */
class FakeSocket implements DialedConnection {
  readonly opened: Promise<void>;
  handlers: ConnectionHandlers | null = null;
  closed = false;
  private pong: (() => void) | null = null;

  constructor(
    readonly options: DialOptions,
    private readonly nodeId: string | null,
  ) {
    this.opened = nodeId === null ? Promise.reject(new Error("ECONNREFUSED")) : Promise.resolve();
    this.opened.catch(() => undefined);
    if (nodeId === null) queueMicrotask(() => this.finish());
  }

  get remoteAddr(): string {
    return this.options.addr;
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  send(bytes: Uint8Array): void {
    const frame = decodeFrame(bytes);
    if (frame.code !== RequestCode.HELLO || this.nodeId === null) return;
    const body = { version: PROTOCOL_VERSION_MAX, nodeId: this.nodeId, ready: true };
    const answer = encodeFrame({ v: PROTOCOL_VERSION_MAX, kind: FrameKind.RESPONSE, code: ErrorCode.OK, id: frame.id, body });
    queueMicrotask(() => this.handlers?.message(answer, true));
  }

  bufferedBytes(): number {
    return 0;
  }

  close(): void {
    this.finish();
  }

  terminate(): void {
    this.finish();
  }

  /** A live far end answers every ping. */
  ping(): void {
    if (!this.closed) queueMicrotask(() => this.pong?.());
  }

  onPong(handler: () => void): void {
    this.pong = handler;
  }

  /** The socket closes (either side). */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.handlers?.close(1006, ""));
  }
}

function setup() {
  const scheduler = new FakeScheduler();
  const resolver = new FakeResolver();
  /** Node id answering at each "ip:port"; absent = nothing listens there. */
  const listening = new Map<string, string>();
  const sockets: FakeSocket[] = [];
  const dial = (options: DialOptions): DialedConnection => {
    const socket = new FakeSocket(options, listening.get(options.addr) ?? null);
    sockets.push(socket);
    return socket;
  };
  const links: { link: PeerLink; addr: string | null; up: boolean }[] = [];
  const hub = {
    linkUp: (link: PeerLink, addr: string | null) => links.push({ link, addr, up: true }),
    linkDown: (link: PeerLink) => {
      for (const entry of links) if (entry.link === link) entry.up = false;
    },
  } as unknown as PeerHub;
  const logger = pino({ level: "silent" });
  const tls = { ca: "CA", cert: "CERT", key: "KEY" };
  const dialer = new PeerDialer(hub, { selfId: SELF_ID, advertiseAddr: null, clock: scheduler, rng: new SeededRng(3), logger, scheduler, dial, tls });
  const failures: string[] = [];
  const peerDns = new PeerDns({
    names: ["namesrv:9877"],
    resolver,
    scheduler,
    dialer,
    logger,
    onLookupFailed: (name) => failures.push(name),
  });
  const linkedIds = () => links.filter((l) => l.up).map((l) => l.link.peerId).sort();
  const dialsTo = (addr: string) => sockets.filter((s) => s.options.addr === addr).length;
  return { scheduler, resolver, listening, sockets, links, dialer, peerDns, failures, linkedIds, dialsTo };
}

describe("peer_dns", () => {
  it("peer_dns: links every address of the name, skips its own after one hello, checks TLS against the name", async () => {
    const { scheduler, resolver, listening, links, dialer, peerDns, linkedIds, dialsTo, sockets } = setup();
    listening.set("10.0.0.1:9877", "ns1").set("10.0.0.2:9877", "ns2").set("10.0.0.9:9877", SELF_ID);
    resolver.answer = ["10.0.0.1", "10.0.0.2", "10.0.0.9"];
    peerDns.start();
    await scheduler.advanceMs(0);
    expect(linkedIds()).toEqual(["ns1", "ns2"]);
    // Not gossiped as members: the hub (and so the core) is told no address for them.
    expect(links.map((l) => l.addr)).toEqual([null, null]);
    expect(sockets.map((s) => s.options.tls?.servername)).toEqual(["namesrv", "namesrv", "namesrv"]);
    // DNS keeps listing our own address: it is never dialed again.
    await scheduler.advanceMs(5 * PEER_DNS_INTERVAL_MS);
    expect(dialsTo("10.0.0.9:9877")).toBe(1);
    expect(dialer.linkStates().map((s) => s.addr)).toEqual(["10.0.0.1:9877", "10.0.0.2:9877"]);
  });

  it("peer_dns: an address that appears later is linked within one interval", async () => {
    const { scheduler, resolver, listening, peerDns, linkedIds } = setup();
    listening.set("10.0.0.1:9877", "ns1").set("10.0.0.4:9877", "ns4");
    resolver.answer = ["10.0.0.1"];
    peerDns.start();
    await scheduler.advanceMs(0);
    expect(linkedIds()).toEqual(["ns1"]);
    resolver.answer = ["10.0.0.1", "10.0.0.4"];
    await scheduler.advanceMs(PEER_DNS_INTERVAL_MS);
    expect(linkedIds()).toEqual(["ns1", "ns4"]);
    expect(peerDns.addresses()).toEqual({ "namesrv:9877": ["10.0.0.1:9877", "10.0.0.4:9877"] });
  });

  it("peer_dns: failed lookups keep every link and dial nothing new; each failure is counted", async () => {
    const { scheduler, resolver, listening, sockets, peerDns, failures, linkedIds } = setup();
    listening.set("10.0.0.1:9877", "ns1").set("10.0.0.2:9877", "ns2");
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    peerDns.start();
    await scheduler.advanceMs(0);
    const dials = sockets.length;
    resolver.answer = null;
    await scheduler.advanceMs(4 * PEER_DNS_INTERVAL_MS);
    expect(failures).toEqual(Array(4).fill("namesrv:9877"));
    expect(linkedIds()).toEqual(["ns1", "ns2"]);
    expect(sockets.length).toBe(dials);
  });

  it("peer_dns: a linked address that vanishes from DNS stays linked; once its link closes it is not redialed", async () => {
    const { scheduler, resolver, listening, sockets, dialer, peerDns, linkedIds, dialsTo } = setup();
    listening.set("10.0.0.1:9877", "ns1").set("10.0.0.2:9877", "ns2");
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    peerDns.start();
    await scheduler.advanceMs(0);
    resolver.answer = ["10.0.0.1"];
    await scheduler.advanceMs(3 * PEER_DNS_INTERVAL_MS);
    // Gone from DNS, the member is still linked: only the peer-down rules drop it.
    expect(linkedIds()).toEqual(["ns1", "ns2"]);
    // The pod goes away: its link closes (peer down), and the old address is forgotten.
    listening.delete("10.0.0.2:9877");
    sockets.find((s) => s.options.addr === "10.0.0.2:9877")?.finish();
    await scheduler.advanceMs(10 * PEER_DNS_INTERVAL_MS);
    expect(linkedIds()).toEqual(["ns1"]);
    expect(dialsTo("10.0.0.2:9877")).toBe(1);
    expect(dialer.dialedAddrs().map((t) => t.addr)).toEqual(["10.0.0.1:9877"]);
  });

  it("peer_dns: an address still listed is redialed after its link closes; one that vanished while down is dropped", async () => {
    const { scheduler, resolver, listening, sockets, dialer, peerDns, linkedIds, dialsTo } = setup();
    listening.set("10.0.0.1:9877", "ns1");
    resolver.answer = ["10.0.0.1", "10.0.0.3"];
    peerDns.start();
    await scheduler.advanceMs(0);
    // ns1 restarts: still in DNS, so it is redialed (peer-down rules, backoff) and links again.
    sockets.find((s) => s.options.addr === "10.0.0.1:9877")?.finish();
    await scheduler.advanceMs(PEER_DNS_INTERVAL_MS);
    expect(dialsTo("10.0.0.1:9877")).toBeGreaterThan(1);
    expect(linkedIds()).toEqual(["ns1"]);
    // 10.0.0.3 never answered and leaves DNS: dialing it stops.
    const before = dialsTo("10.0.0.3:9877");
    expect(before).toBeGreaterThan(1);
    resolver.answer = ["10.0.0.1"];
    await scheduler.advanceMs(PEER_DNS_INTERVAL_MS);
    const after = dialsTo("10.0.0.3:9877");
    await scheduler.advanceMs(10 * PEER_DNS_INTERVAL_MS);
    expect(dialsTo("10.0.0.3:9877")).toBe(after);
    expect(dialer.dialedAddrs().map((t) => t.addr)).toEqual(["10.0.0.1:9877"]);
  });

  it("peer_dns: an address that is also a member stays dialed when it leaves DNS", async () => {
    const { scheduler, resolver, listening, dialer, peerDns } = setup();
    resolver.answer = ["10.0.0.5"];
    peerDns.start();
    await scheduler.advanceMs(0);
    dialer.ensure("10.0.0.5:9877");
    resolver.answer = ["10.0.0.6"];
    listening.set("10.0.0.6:9877", "ns6");
    await scheduler.advanceMs(PEER_DNS_INTERVAL_MS);
    expect(dialer.dialedAddrs()).toEqual([
      { addr: "10.0.0.5:9877", sources: ["member"], isSelf: false },
      { addr: "10.0.0.6:9877", sources: ["dns"], isSelf: false },
    ]);
  });
});
