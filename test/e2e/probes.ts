// Probes of the compose end-to-end tests: poll the nodes' published HTTPS ports from the
// host and measure when each node first satisfies a route spec. Imports nothing of src/.
import { Agent, request } from "node:https";
import { waitFor } from "../integration/helpers/wait.js";

/** Timeout of one HTTP request to a node. */
const REQUEST_TIMEOUT_MS = 2_000;
/** Timeout of a /readyz poll right after `docker start`: docker-proxy accepts, then stalls. */
const READY_POLL_TIMEOUT_MS = 250;
/** Period of the steady poll (routes + /readyz of each node). */
const STEADY_POLL_MS = 50;

/** Node name -> base URL (`https://127.0.0.1:9877`). */
export type Nodes = Readonly<Record<string, string>>;

/** TOPIC=BROKER[+BROKER...]: the topic's route lists every named broker (absent: none). */
export interface RouteSpec {
  topic: string;
  brokers: string[];
}

/** Parses `TOPIC=B1+B2`. */
export function routeSpec(text: string): RouteSpec {
  const [topic = "", brokers = ""] = text.split("=");
  return { topic, brokers: brokers.split("+").filter(Boolean) };
}

/** An HTTP answer; status 0 when the node did not answer. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** GETs over TLS trusting the cluster's development CA, with keep-alive connections. */
export class HttpsProbe {
  private readonly agent: Agent;

  constructor(caPem: string) {
    this.agent = new Agent({ keepAlive: true, ca: caPem });
  }

  /** GET url; never rejects. */
  get(url: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<HttpAnswer> {
    return new Promise((resolve) => {
      const req = request(url, { agent: this.agent, timeout: timeoutMs }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", (error) => resolve({ status: 0, body: error.message }));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", (error: NodeJS.ErrnoException) => resolve({ status: 0, body: error.code ?? error.message }));
      req.end();
    });
  }

  /** The node's /metrics lines of one metric, joined with "; ". */
  async metricLines(base: string, name: string): Promise<string> {
    const answer = await this.get(`${base}/metrics`);
    if (answer.status === 0) return `unreachable: ${answer.body}`;
    return answer.body.split("\n").filter((line) => line.startsWith(`${name}{`)).join("; ");
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A route as a node answers it: status 0 when unreachable. */
export interface RouteAnswer {
  status: number;
  brokers: { name: string; addr: string }[];
}

interface RouteBody {
  brokerDatas: { brokerName: string; brokerAddrs: Record<string, string> }[];
}

/** A topic's route from GET /v1/routes/<topic>. */
export async function routeOf(http: HttpsProbe, base: string, topic: string): Promise<RouteAnswer> {
  const answer = await http.get(`${base}/v1/routes/${topic}`);
  if (answer.status !== 200) return { status: answer.status, brokers: [] };
  const data = JSON.parse(answer.body) as RouteBody;
  const brokers = data.brokerDatas.map((b) => ({ name: b.brokerName, addr: b.brokerAddrs["0"] ?? Object.values(b.brokerAddrs)[0] ?? "" }));
  return { status: 200, brokers };
}

/** Whether a route answer satisfies a spec; unreachable (0) never does. */
export function satisfies(answer: RouteAnswer, spec: RouteSpec, absent = false): boolean {
  if (answer.status === 0) return false;
  const names = answer.brokers.map((b) => b.name);
  if (absent) return spec.brokers.every((name) => !names.includes(name));
  return answer.status === 200 && spec.brokers.every((name) => names.includes(name));
}

/** BROKER@ADDR+... sorted, or the status. */
export function describeRoute(answer: RouteAnswer): string {
  if (answer.status !== 200) return String(answer.status);
  return answer.brokers.map((b) => `${b.name}@${b.addr}`).sort().join("+");
}

/** Polls until `probe` is true; the time (Date.now()) it was, or null at the deadline. */
async function firstTrueAt(what: string, probe: () => Promise<boolean>, deadlineMs: number): Promise<number | null> {
  return waitFor(what, async () => ((await probe()) ? Date.now() : undefined), deadlineMs).catch(() => null);
}

/** When each node first satisfied a spec (epoch ms, null: never), first answered, last said. */
export interface Watch {
  atMs: Record<string, number | null>;
  firstAnswerMs: Record<string, number>;
  last: Record<string, string>;
}

/** Polls every node until it satisfies the spec (or lists none of its brokers, if absent). */
export async function watch(http: HttpsProbe, nodes: Nodes, spec: RouteSpec, deadlineMs: number, absent = false): Promise<Watch> {
  const result: Watch = { atMs: {}, firstAnswerMs: {}, last: {} };
  for (const name of Object.keys(nodes)) result.atMs[name] = null;
  await Promise.all(
    Object.entries(nodes).map(async ([name, base]) => {
      result.atMs[name] = await firstTrueAt(`${name} ${spec.topic}`, async () => {
        const answer = await routeOf(http, base, spec.topic);
        result.last[name] = describeRoute(answer);
        if (answer.status !== 0) result.firstAnswerMs[name] ??= Date.now();
        return satisfies(answer, spec, absent);
      }, deadlineMs);
    }),
  );
  return result;
}

/** Whether every node of a watch got there. */
export function watched(result: Watch): boolean {
  return Object.values(result.atMs).every((at) => at !== null);
}

/** "ns1 812 ms, ns2 830 ms" since t0Ms, with late first answers and (on failure) last answers. */
export function watchTimes(result: Watch, t0Ms: number): string {
  const parts = Object.entries(result.atMs).map(([name, at]) => {
    const firstMs = (result.firstAnswerMs[name] ?? t0Ms) - t0Ms;
    const late = firstMs > 300 ? ` (unreachable until ${firstMs} ms)` : "";
    return `${name} ${at === null ? "NEVER" : `${at - t0Ms} ms`}${late}`;
  });
  return parts.join(", ") + (watched(result) ? "" : ` (last answers: ${JSON.stringify(result.last)})`);
}

/** Per node: polls, bad polls, the first bad one. */
export type Steady = Record<string, { polls: number; bad: number; firstBad: object | null }>;

/**
 * Polls every node until `stop()` is true: each poll must satisfy every spec and /readyz must
 * be 200. A measurement over a time window, not a wait for an outcome.
 */
export async function steady(http: HttpsProbe, nodes: Nodes, specs: readonly RouteSpec[], t0Ms: number, stop: () => boolean): Promise<Steady> {
  const stats: Steady = {};
  for (const name of Object.keys(nodes)) stats[name] = { polls: 0, bad: 0, firstBad: null };
  while (!stop()) {
    await Promise.all(
      Object.entries(nodes).map(async ([name, base]) => {
        const atMs = Date.now() - t0Ms;
        const answers = await Promise.all(specs.map((spec) => routeOf(http, base, spec.topic)));
        const readyz = (await http.get(`${base}/readyz`)).status;
        const stat = stats[name];
        if (stat === undefined) return;
        stat.polls += 1;
        const failed = specs.filter((spec, i) => answers[i] === undefined || !satisfies(answers[i], spec));
        if (failed.length === 0 && readyz === 200) return;
        stat.bad += 1;
        const routes = Object.fromEntries(specs.map((s, i) => [s.topic, answers[i] ? describeRoute(answers[i]) : "?"]));
        stat.firstBad ??= { atMs, readyz, routes };
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, STEADY_POLL_MS));
  }
  return stats;
}

/** Whether every node was polled and never bad. */
export function steadyOk(stats: Steady): boolean {
  return Object.values(stats).every((s) => s.bad === 0 && s.polls > 0);
}

/** "ns1 80 polls, 0 bad; ns3 ..." */
export function steadyText(stats: Steady): string {
  const part = ([name, s]: [string, Steady[string]]) =>
    `${name} ${s.polls} polls, ${s.bad} bad${s.firstBad ? ` first ${JSON.stringify(s.firstBad)}` : ""}`;
  return Object.entries(stats).map(part).join("; ");
}

/** A node's first /readyz 200 after t0Ms, and every spec's route fetched right then. */
export interface Ready {
  readyMs: number | null;
  checkedMs: number | null;
  before: Record<string, number>;
  routes: Record<string, string>;
  ok: boolean;
}

/** Polls base/readyz; at its first 200 fetches every spec's route at once. */
export async function ready(http: HttpsProbe, base: string, specs: readonly RouteSpec[], t0Ms: number, deadlineMs: number): Promise<Ready> {
  const result: Ready = { readyMs: null, checkedMs: null, before: {}, routes: {}, ok: false };
  const at = await firstTrueAt(`${base}/readyz`, async () => {
    const code = (await http.get(`${base}/readyz`, READY_POLL_TIMEOUT_MS)).status;
    if (code !== 200) result.before[code] = (result.before[code] ?? 0) + 1;
    return code === 200;
  }, deadlineMs);
  if (at === null) return result;
  result.readyMs = at - t0Ms;
  const answers = await Promise.all(specs.map((spec) => routeOf(http, base, spec.topic)));
  result.checkedMs = Date.now() - t0Ms;
  result.ok = true;
  specs.forEach((spec, i) => {
    const answer = answers[i];
    const good = answer !== undefined && satisfies(answer, spec);
    result.ok &&= good;
    result.routes[spec.topic] = good ? "ok" : `MISSING (${answer ? describeRoute(answer) : "?"})`;
  });
  return result;
}

/** Ms after t0Ms until /v1/cluster is identical on every URL, or null at the deadline. */
export async function sameClusterView(http: HttpsProbe, bases: readonly string[], t0Ms: number, deadlineMs: number): Promise<number | null> {
  const at = await firstTrueAt("identical /v1/cluster", async () => {
    const views = await Promise.all(bases.map((base) => http.get(`${base}/v1/cluster`)));
    return views.every((view) => view.status === 200 && view.body === views[0]?.body);
  }, deadlineMs);
  return at === null ? null : at - t0Ms;
}
