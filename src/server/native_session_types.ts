// The types a native session reports through: its role, why it closed, its limits and observer,
// and the inbound peer link it hands to the gossip shell. Types only; native_session.ts
// implements the session.
import type { Role } from "../protocol/messages/hello.js";
import type { Frame } from "../protocol/frame.js";
import type { TransportError } from "../transport/connection.js";
import type { AuthRefusalReason } from "../host/auth.js";

/** Role of a session: "pending" until the HELLO is accepted. */
export type SessionRole = "pending" | Role;

/** Why a connection was closed by this side, as counted in metrics. */
export type CloseCause =
  | "notBinary"
  | "malformedFrame"
  | "frameTooLarge"
  | "notRequest"
  | "helloMissing"
  | "unsupportedVersion"
  | "versionMismatch"
  | "slowReader"
  | "core"
  | "shutdown"
  | "helloTimeout"
  | "unauthorized"
  | "capacity";

/** Limits a session enforces (from Config). */
export interface SessionLimits {
  readonly frameBytesMax: number;
  readonly sendBufferBytesMax: number;
  /** Requests queued and unanswered on one connection; reading stops at a sixteenth of it (INFLIGHT_READ_PAUSE_RATIO). */
  readonly inflightRequestsPerConnectionMax: number;
  /** Frames from connections not authenticated as broker or peer. */
  readonly clientFrameBytesMax: number;
}

/** Counts what sessions do; implemented by the metrics of the server. */
export interface SessionObserver {
  /** One request answered: `type` a RequestCode name, `outcome` "ok" or an ErrorCode name. */
  request(type: string, outcome: string): void;
  /** This side closed a connection. */
  closed(cause: CloseCause | TransportError["kind"]): void;
  /** A named limit refused something (label: the limit's constant name). */
  limitHit?(limit: string): void;
  /** A hello or request was refused for missing or wrong credentials. */
  authRefused?(role: string, reason: AuthRefusalReason): void;
}

/** An inbound peer connection as the gossip shell sees it. */
export interface InboundPeerLink {
  readonly peerId: string;
  /** The address the peer advertised in its HELLO, for dialing back. */
  readonly peerAddr: string | null;
  /** Sends one encoded frame. */
  send(bytes: Uint8Array): void;
  /** Closes the connection. */
  close(reason: string): void;
}

/** What the gossip shell does with one inbound peer link. */
export interface InboundPeerHandler {
  /** A PEER_* request frame (one-way: no reply is sent). */
  onFrame(frame: Frame): void;
  /** The link closed. */
  onClose(): void;
}

/** Takes inbound peer links (the gossip shell); without it PEER_* get UNSUPPORTED_REQUEST. */
export type InboundPeerAcceptor = (link: InboundPeerLink) => InboundPeerHandler;
