// Read-only views of a node's state for operators (the dashboard, `namesrv status`): each broker
// instance with its liveness, evidence age, expiry and holders, and which records a digest
// bucket holds. Pure: reads the registry and the failure detector, changes nothing.
// Imports core parts and the model only.
import type { BrokerEntry } from "./broker_entry.js";
import type { BrokerRegistry } from "./broker_registry.js";
import type { FailureDetector } from "./failure_detector.js";
import type { DataVersion, OfflineReason, Origin } from "../model/types.js";

/** A broker instance's liveness as this node judges it now. */
export type BrokerState = "alive" | "suspect" | "offline";

/** One broker instance as this node holds it. */
export interface BrokerDetail {
  readonly brokerKey: string;
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly origin: Origin;
  readonly zoneName: string | null;
  readonly state: BrokerState;
  /** Why it is offline (null while alive). */
  readonly offlineReason: OfflineReason | null;
  readonly session: number;
  /** Since this node last learned newer evidence that the broker lives (null when offline). */
  readonly evidenceAgeMs: number | null;
  /** The expiry that applies: the broker's declared one, else the node's default for its port. */
  readonly expiryMs: number;
  readonly expiryDeclared: boolean;
  /** Node ids that claim a live connection to the broker (this one included). */
  readonly heardBy: readonly string[];
  readonly dataVersion: DataVersion;
  /** Topics of the current session (removed ones not counted). */
  readonly topicCount: number;
  /** Since when it is offline here (null while alive). */
  readonly offlineForMs: number | null;
}

/** The detail of one entry, or null when the node has no header for it yet. */
export function brokerDetailOf(registry: BrokerRegistry, detector: FailureDetector, entry: BrokerEntry, nowMs: number): BrokerDetail | null {
  const { instance, liveness } = entry;
  if (instance === null) return null;
  const live = registry.isLive(entry);
  const expiryMs = detector.expiryOf(entry);
  let topicCount = 0;
  for (const record of entry.topics.values()) if (record.config !== null && record.session === instance.session) topicCount += 1;
  const header = instance.header;
  return {
    brokerKey: entry.key,
    clusterName: header.clusterName,
    brokerName: header.brokerName,
    brokerId: header.brokerId,
    brokerAddr: header.brokerAddr,
    origin: instance.origin,
    zoneName: header.zoneName,
    state: !live ? "offline" : entry.suspectSinceMs !== null ? "suspect" : "alive",
    offlineReason: live ? null : (liveness?.reason ?? null),
    session: liveness?.session ?? instance.session,
    evidenceAgeMs: live ? Math.max(0, nowMs - (entry.expiresAtMs - expiryMs)) : null,
    expiryMs,
    expiryDeclared: header.heartbeatTimeoutMs !== null,
    heardBy: [...entry.holders.values()].filter((holder) => holder.connected).map((holder) => holder.nodeId).sort(),
    dataVersion: header.dataVersion,
    topicCount,
    offlineForMs: live || entry.offlineSinceMs === null ? null : Math.max(0, nowMs - entry.offlineSinceMs),
  };
}

/**
 * Every broker instance with a header, at most `limit`: live ones first (by cluster, name, id),
 * then offline ones, most recently gone first. `total` counts them all.
 */
export function brokerDetails(
  registry: BrokerRegistry,
  detector: FailureDetector,
  nowMs: number,
  limit: number,
): { brokers: BrokerDetail[]; total: number } {
  const details: BrokerDetail[] = [];
  for (const entry of registry.brokers.values()) {
    const detail = brokerDetailOf(registry, detector, entry, nowMs);
    if (detail) details.push(detail);
  }
  details.sort(compareDetails);
  return { brokers: details.slice(0, Math.max(0, limit)), total: details.length };
}

function compareDetails(a: BrokerDetail, b: BrokerDetail): number {
  const aOffline = a.state === "offline" ? 1 : 0;
  const bOffline = b.state === "offline" ? 1 : 0;
  if (aOffline !== bOffline) return aOffline - bOffline;
  if (aOffline === 1 && a.offlineForMs !== b.offlineForMs) return (a.offlineForMs ?? 0) - (b.offlineForMs ?? 0);
  return (
    a.clusterName.localeCompare(b.clusterName) ||
    a.brokerName.localeCompare(b.brokerName) ||
    a.brokerId - b.brokerId ||
    a.brokerAddr.localeCompare(b.brokerAddr)
  );
}
