// Brokers view: cluster -> broker name -> instances with address, id, liveness, age of the last
// evidence, expiry, which nodes hear it directly, DataVersion and topic count; write-permission
// wipe and add per broker name (admin); and the brokers that left recently, with the reason.
import { useState } from "preact/hooks";
import { adminWrite, usePoll, type ApiError } from "../api.js";
import type { Notify } from "../chrome.js";
import { duration } from "../format.js";
import type { BrokerDetail, BrokersAnswer } from "../types.js";

const BROKERS_POLL_MS = 500;
/** Offline instances shown: the most recent ones. */
const LEFT_SHOWN_MAX = 50;

const REASONS: Readonly<Record<string, string>> = {
  connectionClosed: "connection lost (crash)",
  expired: "no heartbeat within its expiry",
  unregistered: "unregistered (graceful stop)",
};

export function BrokersView({ notify, refreshKey }: { notify: Notify; refreshKey: number }) {
  const [bump, setBump] = useState(0);
  const polled = usePoll<BrokersAnswer>("v1/brokers", BROKERS_POLL_MS, refreshKey + bump);
  const data = polled.data;
  if (data === null) return <p class="muted">{polled.error ? `${polled.error.errorName}: ${polled.error.message}` : "Loading…"}</p>;
  const live = data.brokers.filter((broker) => broker.state !== "offline");
  const left = data.brokers.filter((broker) => broker.state === "offline").slice(0, LEFT_SHOWN_MAX);
  const clusters = groupBy(live, (broker) => broker.clusterName);
  return (
    <section>
      <h2>
        Live brokers <span class="muted small">({live.length} instances, as node {data.nodeId} holds them)</span>
      </h2>
      {data.truncated ? <p class="banner warn">Only the first {data.brokers.length} of {data.total} instances are listed.</p> : null}
      {live.length === 0 ? <p class="muted">No live broker.</p> : null}
      {[...clusters.entries()].map(([cluster, brokers]) => (
        <div class="cluster-block" key={cluster}>
          <h3>Cluster {cluster}</h3>
          {[...groupBy(brokers, (broker) => broker.brokerName).entries()].map(([name, instances]) => (
            <BrokerName key={name} name={name} instances={instances} notify={notify} onWrite={() => setBump((value) => value + 1)} />
          ))}
        </div>
      ))}
      <h2>Recently left</h2>
      {left.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="left-brokers">
            <thead>
              <tr>
                <th scope="col">Broker</th>
                <th scope="col">Address</th>
                <th scope="col">Cluster</th>
                <th scope="col">Why it left</th>
                <th scope="col">Gone for</th>
              </tr>
            </thead>
            <tbody>
              {left.map((broker) => (
                <tr key={broker.brokerKey} data-broker={broker.brokerAddr} data-reason={broker.offlineReason ?? ""}>
                  <th scope="row">
                    {broker.brokerName} #{broker.brokerId}
                  </th>
                  <td>{broker.brokerAddr}</td>
                  <td>{broker.clusterName}</td>
                  <td>{REASONS[broker.offlineReason ?? ""] ?? broker.offlineReason ?? "unknown"}</td>
                  <td>{duration(broker.offlineForMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function BrokerName({ name, instances, notify, onWrite }: { name: string; instances: readonly BrokerDetail[]; notify: Notify; onWrite: () => void }) {
  const [busy, setBusy] = useState(false);
  const write = async (kind: "wipe-write-perm" | "add-write-perm"): Promise<void> => {
    setBusy(true);
    try {
      const { count } = await adminWrite<{ count: number }>(kind, { brokerName: name });
      notify("info", `${kind === "wipe-write-perm" ? "wiped write permission of" : "added write permission to"} ${name}: ${count} topics`);
      onWrite();
    } catch (error) {
      const refusal = error as ApiError;
      notify("error", `refused: ${kind} ${name}: ${refusal.errorName}: ${refusal.message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="broker-name" data-broker-name={name}>
      <div class="broker-head">
        <h4>{name}</h4>
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => void write("wipe-write-perm")} aria-label={`Wipe write permission of ${name}`}>
            Wipe write perm
          </button>
          <button type="button" disabled={busy} onClick={() => void write("add-write-perm")} aria-label={`Add write permission to ${name}`}>
            Add write perm
          </button>
        </div>
      </div>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Address</th>
              <th scope="col">State</th>
              <th scope="col">Evidence age</th>
              <th scope="col">Expiry</th>
              <th scope="col">Heard by</th>
              <th scope="col">DataVersion</th>
              <th scope="col">Topics</th>
            </tr>
          </thead>
          <tbody>
            {instances.map((broker) => (
              <tr key={broker.brokerKey} data-broker={broker.brokerAddr} data-state={broker.state}>
                <th scope="row">{broker.brokerId === 0 ? "0 (master)" : broker.brokerId}</th>
                <td>{broker.brokerAddr}</td>
                <td>
                  <span class={`pill ${broker.state === "alive" ? "ok" : "warn"}`}>{broker.state}</span>
                </td>
                <td>{duration(broker.evidenceAgeMs)}</td>
                <td>
                  {duration(broker.expiryMs)} <span class="muted small">{broker.expiryDeclared ? "declared" : `${broker.origin} default`}</span>
                </td>
                <td>{broker.heardBy.length === 0 ? <span class="pill warn">nobody</span> : broker.heardBy.join(", ")}</td>
                <td>
                  <code>
                    {broker.dataVersion.stateVersion}/{broker.dataVersion.counter}@{broker.dataVersion.timestamp}
                  </code>
                </td>
                <td>{broker.topicCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    groups.set(name, [...(groups.get(name) ?? []), item]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
