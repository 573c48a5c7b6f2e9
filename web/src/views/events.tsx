// Events view: the live timeline of this node (registrations, evictions with their reason,
// suspicions, refutations, self-preservation, peers up and down), newest first, filterable.
import { useState } from "preact/hooks";
import type { EventsFeed } from "../events_feed.js";
import { brokerAddrOf, clock } from "../format.js";
import type { EventKind, NodeEvent } from "../types.js";

const KINDS: readonly { kind: EventKind; label: string }[] = [
  { kind: "registration", label: "Registration" },
  { kind: "unregistration", label: "Unregistration" },
  { kind: "eviction", label: "Eviction" },
  { kind: "suspicion", label: "Suspicion" },
  { kind: "refutation", label: "Refutation" },
  { kind: "selfPreservation", label: "Self-preservation" },
  { kind: "peerUp", label: "Peer up" },
  { kind: "peerDown", label: "Peer down" },
  { kind: "peerLeft", label: "Peer left" },
  { kind: "ready", label: "Ready" },
  { kind: "pause", label: "Pause" },
];

const TONE: Readonly<Partial<Record<EventKind, string>>> = { eviction: "bad", peerDown: "bad", suspicion: "warn", selfPreservation: "warn", pause: "warn" };

export function EventsView({ feed }: { feed: EventsFeed }) {
  const [hidden, setHidden] = useState<ReadonlySet<EventKind>>(new Set());
  const [text, setText] = useState("");
  const shown = feed.events.filter((event) => !hidden.has(event.kind) && (text === "" || describe(event).toLowerCase().includes(text.toLowerCase())));
  return (
    <section>
      <h2>Events</h2>
      <fieldset class="filters">
        <legend>Show</legend>
        {KINDS.map(({ kind, label }) => (
          <label key={kind} class="check">
            <input
              type="checkbox"
              checked={!hidden.has(kind)}
              onChange={(event) => {
                const next = new Set(hidden);
                if (event.currentTarget.checked) next.delete(kind);
                else next.add(kind);
                setHidden(next);
              }}
            />
            {label}
          </label>
        ))}
        <label class="grow">
          Containing <input type="search" value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </label>
      </fieldset>
      {feed.error ? <p class="banner warn">The live feed is retrying: {feed.error.message}</p> : null}
      {feed.gap ? <p class="muted small">Some older events were dropped by the node before this page saw them.</p> : null}
      <ol class="timeline" data-testid="timeline" aria-live="polite">
        {[...shown].reverse().map((event) => (
          <li key={event.seq} data-kind={event.kind} data-broker={event.brokerKey ? brokerAddrOf(event.brokerKey) : ""} data-reason={event.reason ?? ""}>
            <time dateTime={new Date(event.atMs).toISOString()}>{clock(event.atMs)}</time>
            <span class={`pill ${TONE[event.kind] ?? "ok"}`}>{KINDS.find((item) => item.kind === event.kind)?.label ?? event.kind}</span>
            <span>{describe(event)}</span>
          </li>
        ))}
      </ol>
      {shown.length === 0 ? <p class="muted">No events {feed.events.length > 0 ? "match the filter" : "yet"}.</p> : null}
    </section>
  );
}

function describe(event: NodeEvent): string {
  const subject = event.brokerKey ?? event.peerId ?? "";
  const reason = event.reason ? ` (${event.reason})` : "";
  return `${subject}${reason}`.trim() || event.message;
}
