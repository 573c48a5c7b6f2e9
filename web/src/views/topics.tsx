// Topics view: search over every routed topic (the node answers at most 200 matches and counts
// the rest), and a topic's route as each node answers it, side by side.
import { useEffect, useState } from "preact/hooks";
import { getJson, usePoll, type ApiError } from "../api.js";
import type { Notify } from "../chrome.js";
import { perm } from "../format.js";
import type { ClusterStatus, RouteAnswer, RoutesAcross, TopicSearchAnswer } from "../types.js";

const SEARCH_DEBOUNCE_MS = 250;
const ROUTES_POLL_MS = 1_000;

export function TopicsView({ status, notify }: { status: ClusterStatus | null; notify: Notify }) {
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [result, setResult] = useState<TopicSearchAnswer | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    const timer = window.setTimeout(() => setQuery(text), SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text]);
  useEffect(() => {
    let live = true;
    getJson<TopicSearchAnswer>(`v1/topics/search?q=${encodeURIComponent(query)}`).then(
      (answer) => live && setResult(answer),
      (error: ApiError) => live && notify("error", `topic search: ${error.errorName}: ${error.message}`),
    );
    return () => {
      live = false;
    };
  }, [query, notify]);
  return (
    <section class="split">
      <div class="search">
        <h2>Topics</h2>
        <label for="topic-search">Search topics</label>
        <input id="topic-search" type="search" value={text} placeholder="part of a topic name" onInput={(event) => setText(event.currentTarget.value)} />
        <p class="muted small" aria-live="polite">
          {result ? `${result.matches} of ${result.total} topics match${result.matches > result.topics.length ? `; the first ${result.topics.length} shown` : ""}` : "…"}
        </p>
        <ul class="pick-list" data-testid="topic-results">
          {result?.topics.map((topic) => (
            <li key={topic}>
              <button type="button" class={topic === selected ? "link selected" : "link"} aria-pressed={topic === selected} onClick={() => setSelected(topic)}>
                {topic}
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div class="detail">{selected === null ? <p class="muted">Pick a topic to see its route as each node answers it.</p> : <RoutesOf topic={selected} members={status?.members.length ?? 0} />}</div>
    </section>
  );
}

function RoutesOf({ topic, members }: { topic: string; members: number }) {
  const polled = usePoll<RoutesAcross>(`v1/status/routes/${encodeURIComponent(topic)}`, ROUTES_POLL_MS);
  const data = polled.data;
  if (data === null || data.topic !== topic) return <p class="muted">Loading the route of {topic}…</p>;
  return (
    <>
      <h3>
        Route of <code>{topic}</code>{" "}
        <span class={`pill ${data.agree ? "ok" : "bad"}`} data-testid="routes-agree">
          {data.agree ? `${data.answers.filter((answer) => answer.status !== 0).length} nodes answer the same` : "nodes answer differently"}
        </span>
      </h3>
      {members > data.answers.length ? <p class="muted small">Some members could not be asked.</p> : null}
      <div class="table-wrap">
        <table data-testid="routes">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Answer</th>
              <th scope="col">Queues (broker: read / write, perm)</th>
              <th scope="col">Instances</th>
            </tr>
          </thead>
          <tbody>
            {data.answers.map((answer) => (
              <RouteRow key={answer.addr ?? answer.nodeId ?? "?"} answer={answer} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function RouteRow({ answer }: { answer: RouteAnswer }) {
  const route = answer.route;
  return (
    <tr data-node={answer.nodeId ?? ""} data-perms={route ? route.queueDatas.map((queue) => `${queue.brokerName}:${queue.perm}`).join(",") : ""}>
      <th scope="row">{answer.nodeId ?? answer.addr ?? "?"}</th>
      <td>{answer.status === 200 ? "route" : answer.status === 0 ? `no answer: ${answer.error ?? ""}` : `${answer.status}: ${answer.error ?? ""}`}</td>
      <td>
        {route?.queueDatas.map((queue) => (
          <div key={queue.brokerName}>
            {queue.brokerName}: {queue.readQueueNums} / {queue.writeQueueNums}, {perm(queue.perm)}
          </div>
        )) ?? "–"}
      </td>
      <td>
        {route?.brokerDatas.map((broker) => (
          <div key={broker.brokerName}>
            {broker.brokerName}: {Object.entries(broker.brokerAddrs).map(([id, addr]) => `${id}=${addr}`).join(" ")}
          </div>
        )) ?? "–"}
      </td>
    </tr>
  );
}
