// The dashboard every node serves at /: the cluster through this one node (members, agreement,
// brokers, topics, KV, events, charts). Preact for the views, uPlot for the charts; everything is
// bundled, so the page needs nothing but this node. Tabs follow the WAI-ARIA tabs pattern.
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import "./style.css";
import { tokens, usePoll } from "./api.js";
import type { ClusterStatus } from "./types.js";
import { useEvents } from "./events_feed.js";
import { AccessPanel, Notices, type Notice, type Notify } from "./chrome.js";
import { ClusterView } from "./views/cluster.js";
import { BrokersView } from "./views/brokers.js";
import { TopicsView } from "./views/topics.js";
import { KvView } from "./views/kv.js";
import { EventsView } from "./views/events.js";
import { ChartsView } from "./views/charts.js";

/** Status poll period: with the node's STATUS_CACHE_MS and peer timeout, a stopped node shows down within PEER_DOWN_MS + 1 s. */
const STATUS_POLL_MS = 250;
/** How long a confirmation stays. */
const INFO_NOTICE_MS = 8_000;
/** A disagreement younger than this is shown as changes in flight (anti-entropy repairs within ~2 s). */
const SETTLING_MS = 2_000;

const TABS = [
  { id: "cluster", label: "Cluster" },
  { id: "brokers", label: "Brokers" },
  { id: "topics", label: "Topics" },
  { id: "kv", label: "KV" },
  { id: "events", label: "Events" },
  { id: "charts", label: "Charts" },
] as const;
type TabId = (typeof TABS)[number]["id"];

function initialTab(): TabId {
  const hash = location.hash.slice(1);
  return TABS.find((tab) => tab.id === hash)?.id ?? "cluster";
}

function App() {
  const [tab, setTab] = useState<TabId>(initialTab);
  const [accessKey, setAccessKey] = useState(0);
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextNotice = useRef(1);
  const status = usePoll<ClusterStatus>("v1/status", STATUS_POLL_MS, accessKey);
  const events = useEvents(accessKey);
  const tabRefs = useRef<Array<HTMLButtonElement | null>>([]);

  const notify: Notify = useCallback((kind, text) => {
    const id = nextNotice.current++;
    setNotices((list) => [...list.filter((notice) => notice.text !== text).slice(-3), { id, kind, text }]);
    // Confirmations fade; refusals stay until dismissed.
    if (kind === "info") window.setTimeout(() => setNotices((list) => list.filter((notice) => notice.id !== id)), INFO_NOTICE_MS);
  }, []);
  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((notice) => notice.id !== id)), []);

  useEffect(() => {
    history.replaceState(null, "", `#${tab}`);
  }, [tab]);

  const onTabKey = (event: KeyboardEvent, index: number): void => {
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 1, ArrowUp: -1 };
    let next: number | null = null;
    if (event.key in moves) next = (index + (moves[event.key] as number) + TABS.length) % TABS.length;
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = TABS.length - 1;
    if (next === null) return;
    event.preventDefault();
    setTab((TABS[next] as (typeof TABS)[number]).id);
    tabRefs.current[next]?.focus();
  };

  const data = status.data;
  const disagreeSince = useRef<number | null>(null);
  if (data && !data.agreement.agree) disagreeSince.current ??= data.atMs;
  else disagreeSince.current = null;
  const settling = data !== null && disagreeSince.current !== null && data.atMs - disagreeSince.current < SETTLING_MS;
  const up = data ? data.members.filter((member) => member.state !== "down" && member.report !== null).length : 0;
  const summary =
    data === null ? "waiting for the node" : data.healthy ? "healthy" : !data.agreement.complete ? "a node is down" : settling ? "changes in flight" : "nodes disagree";
  return (
    <div class="page">
      <header class="top">
        <div class="title">
          <h1>gossip-namesrv</h1>
          <p class="subtitle">
            through node <strong data-testid="self-node">{data?.nodeId ?? "…"}</strong>
            {" · "}
            <span class={`pill ${data?.healthy ? "ok" : settling ? "warn" : "bad"}`} data-testid="health">
              {summary}
            </span>
            {data ? ` · ${up} of ${data.members.length} nodes reporting` : ""}
          </p>
        </div>
        <AccessPanel
          onSave={(read, admin) => {
            tokens.set(read, admin);
            setAccessKey((key) => key + 1);
            notify("info", "tokens saved for this tab");
          }}
        />
      </header>
      {status.error ? (
        <p class="banner bad" role="alert">
          {status.error.errorName}: {status.error.message}
        </p>
      ) : null}
      <Notices notices={notices} onDismiss={dismiss} />
      <nav>
        <div role="tablist" aria-label="Views" class="tabs">
          {TABS.map((item, index) => (
            <button
              key={item.id}
              ref={(element) => {
                tabRefs.current[index] = element;
              }}
              role="tab"
              id={`tab-${item.id}`}
              aria-selected={tab === item.id}
              aria-controls={`panel-${item.id}`}
              tabIndex={tab === item.id ? 0 : -1}
              onClick={() => setTab(item.id)}
              onKeyDown={(event) => onTabKey(event, index)}
            >
              {item.label}
            </button>
          ))}
        </div>
      </nav>
      <main>
        <div id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} tabIndex={0}>
        {tab === "cluster" && <ClusterView status={status} />}
        {tab === "brokers" && <BrokersView notify={notify} refreshKey={accessKey} />}
        {tab === "topics" && <TopicsView status={data} notify={notify} />}
        {tab === "kv" && <KvView notify={notify} refreshKey={accessKey} />}
        {tab === "events" && <EventsView feed={events} />}
        {tab === "charts" && <ChartsView refreshKey={accessKey} />}
        </div>
      </main>
      <footer class="foot">
        Every figure comes from this node and, through its peer links, from its peers. JSON API: <code>/v1</code> (docs/protocol.md).
      </footer>
    </div>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
