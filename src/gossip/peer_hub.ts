// PeerHub: the shell half of peering. It keeps the links to peer name servers (outbound ones
// it dials, inbound ones the server hands over), carries the core's peerSend/dialPeer
// effects onto them, and feeds peer frames back into the core through the NodeHost.
import type { PeerMessage } from "../core/effects.js";
import { NsError } from "../errors.js";
import { FrameKind, RequestCode } from "../protocol/codes.js";
import { encodeFrame, type Frame } from "../protocol/frame.js";
import { decodePeerDeltas, decodePeerDigest, decodePeerPull, decodePeerSummary, decodePeerWant } from "../protocol/messages/gossip.js";
import { decodePeerHeard } from "../protocol/messages/heard.js";
import type { PeerFeature } from "../protocol/messages/hello.js";
import { PROTOCOL_VERSION_MAX } from "../limits.js";
import type { NodeHost, PeerEffect } from "../host/node_host.js";
import type { Logger } from "../host/logger.js";

/** One link to a peer, inbound or outbound. */
export interface PeerLink {
  /** The peer's node id, from its hello. */
  readonly peerId: string;
  /** "outbound": we dialed it and watch it with pings; "inbound": it dialed us. */
  readonly direction: "inbound" | "outbound";
  /** Sends one encoded frame. */
  send(bytes: Uint8Array): void;
  /** Closes the link. */
  close(reason: string): void;
}

/** How the hub dials: the real one is PeerDialer; tests may inject another. */
export interface Dialer {
  /** Keeps a link to this address (idempotent). */
  ensure(addr: string): void;
  /** Stops every dial and closes outbound links. */
  stop(): Promise<void>;
}

/** Counters of the peering shell, for metrics. */
export interface PeerHubCounters {
  framesIn: number;
  framesOut: number;
  framesRejected: number;
  sendsWithoutLink: number;
  /** Encoded bytes sent, by peer and frame type ("peer/type"): what gossip costs on each link. */
  readonly bytesOut: Map<string, number>;
}

/** Links by peer, effects to links, frames to the core. */
export class PeerHub {
  readonly counters: PeerHubCounters = { framesIn: 0, framesOut: 0, framesRejected: 0, sendsWithoutLink: 0, bytesOut: new Map() };
  private readonly links = new Map<string, Set<PeerLink>>();
  private dialer: Dialer | null = null;

  constructor(
    private readonly host: NodeHost,
    private readonly logger: Logger,
  ) {}

  /** Installs the dialer (after construction, since the dialer calls back into the hub). */
  setDialer(dialer: Dialer): void {
    this.dialer = dialer;
  }

  /**
   * A link finished its hello. Outbound links decide whether the peer counts as up, with the
   * `features` its hello answer announced (none: a node from before them, sent nothing new).
   */
  linkUp(link: PeerLink, peerAddr: string | null, features: readonly PeerFeature[] = []): void {
    let set = this.links.get(link.peerId);
    if (!set) this.links.set(link.peerId, (set = new Set()));
    set.add(link);
    this.logger.info({ peerId: link.peerId, direction: link.direction, peerAddr }, "peer link up");
    if (link.direction === "outbound") {
      this.host.run((nowMs) => this.host.node.peerConnected(link.peerId, peerAddr, nowMs, features));
    } else if (peerAddr !== null) {
      // Dial back, so that we watch the peer with our own pings and count it as up.
      this.dialer?.ensure(peerAddr);
    }
  }

  /** A link closed. The peer goes down when its last outbound link is gone. */
  linkDown(link: PeerLink): void {
    const set = this.links.get(link.peerId);
    if (!set?.delete(link)) return;
    if (set.size === 0) this.links.delete(link.peerId);
    this.logger.info({ peerId: link.peerId, direction: link.direction }, "peer link down");
    const outboundLeft = [...(set ?? [])].some((other) => other.direction === "outbound");
    if (link.direction === "outbound" && !outboundLeft) {
      this.host.run((nowMs) => this.host.node.peerDisconnected(link.peerId, nowMs));
    }
  }

  /** A request frame arrived on a peer link. Bad frames are logged and counted; the link stays. */
  onFrame(link: PeerLink, frame: Frame): void {
    this.counters.framesIn += 1;
    try {
      switch (frame.code) {
        case RequestCode.PEER_DELTAS: {
          const deltas = decodePeerDeltas(frame.body);
          this.host.run((nowMs) => this.host.node.onPeerDeltas(link.peerId, deltas, nowMs));
          return;
        }
        case RequestCode.PEER_DIGEST: {
          const digest = decodePeerDigest(frame.body);
          this.host.run((nowMs) => this.host.node.onPeerDigest(link.peerId, digest, nowMs));
          return;
        }
        case RequestCode.PEER_PULL: {
          const pull = decodePeerPull(frame.body);
          this.host.run((nowMs) => this.host.node.onPeerPull(link.peerId, pull, nowMs));
          return;
        }
        case RequestCode.PEER_SUMMARY: {
          const summary = decodePeerSummary(frame.body);
          this.host.run((nowMs) => this.host.node.onPeerSummary(link.peerId, summary, nowMs));
          return;
        }
        case RequestCode.PEER_WANT: {
          const want = decodePeerWant(frame.body);
          this.host.run((nowMs) => this.host.node.onPeerWant(link.peerId, want, nowMs));
          return;
        }
        case RequestCode.PEER_HEARD: {
          const heard = decodePeerHeard(frame.body);
          this.host.run((nowMs) => this.host.node.onPeerHeard(link.peerId, heard, nowMs));
          return;
        }
        default:
          this.counters.framesRejected += 1;
          this.logger.warn({ peerId: link.peerId, code: frame.code }, "unsupported peer frame");
      }
    } catch (error) {
      if (!(error instanceof NsError)) throw error;
      this.counters.framesRejected += 1;
      this.logger.warn({ peerId: link.peerId, code: frame.code, err: error.message }, "bad peer frame");
    }
  }

  /** Carries out a peer effect from the core. */
  carryOut(effect: PeerEffect): void {
    if (effect.kind === "dialPeer") {
      this.dialer?.ensure(effect.addr);
      return;
    }
    const message = effect.message;
    // A leaving notice goes on every link to the peer: whichever link closes first, the
    // notice arrives before its close, so the peer never takes the close for a failure.
    const leaving = message.type === "deltas" && message.body.leaving === true;
    const picked = this.pickLink(effect.peerId);
    const links = leaving ? [...(this.links.get(effect.peerId) ?? [])] : picked ? [picked] : [];
    if (links.length === 0) {
      this.counters.sendsWithoutLink += 1;
      return;
    }
    const bytes = encodeFrame({ v: PROTOCOL_VERSION_MAX, kind: FrameKind.REQUEST, code: codeOf(message), id: 0, body: message.body });
    // Bounded: one key per peer (the core's peers, at most PEERS_MAX) and frame type.
    const key = `${effect.peerId}/${message.type}`;
    for (const link of links) {
      this.counters.framesOut += 1;
      this.counters.bytesOut.set(key, (this.counters.bytesOut.get(key) ?? 0) + bytes.length);
      link.send(bytes);
    }
  }

  /**
   * Closes every link and stops dialing. In a drain the core has told every peer it is
   * leaving (NameServerNode.leave) before this, so the peers log "peer left", not "peer down".
   */
  async stop(): Promise<void> {
    await this.dialer?.stop();
    for (const set of this.links.values()) for (const link of set) link.close("node shutting down");
    this.links.clear();
  }

  /** Ids of the peers with at least one open link, inbound or outbound. */
  linkedPeerIds(): string[] {
    return [...this.links.keys()];
  }

  /** Number of open links. */
  linkCount(): number {
    let count = 0;
    for (const set of this.links.values()) count += set.size;
    return count;
  }

  private pickLink(peerId: string): PeerLink | undefined {
    const set = this.links.get(peerId);
    if (!set) return undefined;
    let fallback: PeerLink | undefined;
    for (const link of set) {
      if (link.direction === "outbound") return link;
      fallback ??= link;
    }
    return fallback;
  }
}

function codeOf(message: PeerMessage): number {
  switch (message.type) {
    case "deltas":
      return RequestCode.PEER_DELTAS;
    case "digest":
      return RequestCode.PEER_DIGEST;
    case "pull":
      return RequestCode.PEER_PULL;
    case "summary":
      return RequestCode.PEER_SUMMARY;
    case "want":
      return RequestCode.PEER_WANT;
    case "heard":
      return RequestCode.PEER_HEARD;
  }
}
