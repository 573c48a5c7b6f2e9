// Cluster view: every member as this node knows it (link up / suspect / down, ready, degraded,
// version, digest), whether they agree by digest, and where they do not, which nodes differ and
// in which records; and how each node sees its own links.
import type { Polled } from "../api.js";
import { duration, short } from "../format.js";
import type { ClusterStatus, DiffRecord, MemberStatus } from "../types.js";

export function ClusterView({ status }: { status: Polled<ClusterStatus> }) {
  const data = status.data;
  if (data === null) return <p class="muted">{status.error ? "No answer from this node yet." : "Loading…"}</p>;
  return (
    <section aria-labelledby="members-title">
      <AgreementBanner status={data} />
      <h2 id="members-title">Members</h2>
      <div class="table-wrap">
        <table data-testid="members">
          <caption class="sr-only">Cluster members as node {data.nodeId} sees them</caption>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Address</th>
              <th scope="col">Link</th>
              <th scope="col">Ready</th>
              <th scope="col">Degraded</th>
              <th scope="col">Version</th>
              <th scope="col">Digest</th>
              <th scope="col">Live brokers</th>
              <th scope="col">Topics</th>
            </tr>
          </thead>
          <tbody>
            {data.members.map((member) => (
              <MemberRow key={member.addr ?? member.nodeId ?? "?"} member={member} />
            ))}
          </tbody>
        </table>
      </div>
      <LinkMatrix status={data} />
    </section>
  );
}

function MemberRow({ member }: { member: MemberStatus }) {
  const report = member.report;
  const state = member.report === null && member.state !== "down" ? "unreachable" : member.state;
  return (
    <tr data-node={member.nodeId ?? member.addr ?? ""} data-state={state}>
      <th scope="row">
        {member.nodeId ?? "?"}
        {member.self ? <span class="tag">this node</span> : null}
      </th>
      <td>{member.addr ?? "–"}</td>
      <td>
        <span class={`pill ${state === "up" ? "ok" : state === "suspect" ? "warn" : "bad"}`}>{state}</span>
        {member.silentMs !== null && !member.self ? <span class="muted small"> silent {duration(member.silentMs)}</span> : null}
        {member.error ? <div class="muted small">{member.error}</div> : null}
      </td>
      <td>{report ? (report.ready ? "yes" : <span class="pill warn">not ready</span>) : "–"}</td>
      <td>{report ? (report.degraded ? <span class="pill bad">degraded</span> : "no") : "–"}</td>
      <td>{report?.version ?? "–"}</td>
      <td>
        <code>{report ? short(report.digest) : "–"}</code>
      </td>
      <td>{report?.brokersLive ?? "–"}</td>
      <td>{report?.topics ?? "–"}</td>
    </tr>
  );
}

function AgreementBanner({ status }: { status: ClusterStatus }) {
  const { agreement } = status;
  const reporting = agreement.groups.reduce((count, group) => count + group.nodes.length, 0);
  if (agreement.agree) {
    return (
      <div class={`banner ${agreement.complete ? "ok" : "warn"}`} data-testid="agreement" data-agree="true">
        {reporting === 1 ? "One node reporting" : `All ${reporting} reporting nodes agree`}
        {agreement.groups[0] ? (
          <>
            {" "}
            (digest <code>{short(agreement.groups[0].digest)}</code>)
          </>
        ) : null}
        {agreement.complete ? "." : "; not every member reports (see the Link column)."}
      </div>
    );
  }
  return (
    <div class="banner bad" data-testid="agreement" data-agree="false">
      <p>
        Nodes disagree:{" "}
        {agreement.groups.map((group, index) => (
          <span key={group.digest}>
            {index > 0 ? " vs " : ""}
            <strong>{group.nodes.join(", ")}</strong> (<code>{short(group.digest)}</code>)
          </span>
        ))}
        . Differing buckets: {agreement.differingBuckets.join(", ") || "–"}.
      </p>
      <DiffTable records={agreement.records} nodes={agreement.groups.flatMap((group) => group.nodes).sort()} truncated={agreement.recordsTruncated} />
    </div>
  );
}

function DiffTable({ records, nodes, truncated }: { records: readonly DiffRecord[]; nodes: readonly string[]; truncated: boolean }) {
  if (records.length === 0) return <p class="small">No single record differs in the compared buckets yet (changes in flight).</p>;
  return (
    <div class="table-wrap">
      <table data-testid="diff-records">
        <caption>Records that differ (version hash per node; – where a node lacks it){truncated ? ", first ones only" : ""}</caption>
        <thead>
          <tr>
            <th scope="col">Record</th>
            <th scope="col">Type</th>
            {nodes.map((node) => (
              <th scope="col" key={node}>
                {node}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <tr key={record.id} data-record={record.id}>
              <th scope="row">
                <code class="wrap">{record.id}</code>
              </th>
              <td>{record.type}</td>
              {nodes.map((node) => (
                <td key={node}>
                  <code>{record.versions[node] ? short(record.versions[node] as string) : "–"}</code>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Each reporting node's view of its own peer links. */
function LinkMatrix({ status }: { status: ClusterStatus }) {
  const reporters = status.members.filter((member) => member.report !== null);
  const names = status.members.map((member) => member.nodeId ?? member.addr ?? "?");
  if (reporters.length < 2) return null;
  return (
    <>
      <h2 id="links-title">Links as each node sees them</h2>
      <div class="table-wrap">
        <table aria-labelledby="links-title" data-testid="links">
          <thead>
            <tr>
              <th scope="col">From \ to</th>
              {names.map((name) => (
                <th scope="col" key={name}>
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {reporters.map((member) => {
              const report = member.report as NonNullable<MemberStatus["report"]>;
              return (
                <tr key={report.nodeId}>
                  <th scope="row">{report.nodeId}</th>
                  {names.map((name) => {
                    if (name === report.nodeId) return <td key={name}>–</td>;
                    const link = report.peers.find((peer) => peer.peerId === name || peer.addr === name);
                    const state = link?.state ?? "none";
                    return (
                      <td key={name}>
                        <span class={`pill ${state === "up" ? "ok" : state === "suspect" ? "warn" : "bad"}`}>{state}</span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
