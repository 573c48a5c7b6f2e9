// Probes for scripts/e2e-compose.sh: poll the name servers' published HTTP ports and the
// RocketMQ remoting ports from the host, measure, print one JSON line, exit 0/1.
//
//   node scripts/e2e-probe.mjs <command> [--key value ...]
//
// Node names map to base URLs with --nodes ns1=http://127.0.0.1:9877,ns2=...; times are in
// ms since --t0 (epoch ms, default: now). A "route spec" is TOPIC=BROKER[+BROKER...]: the
// topic's route must list every named broker (with --absent: list none of them / 404).
//
//   watch   --nodes N --spec S [--absent] --deadline MS [--t0 T] [--interval MS]
//           first time each node satisfies S -> {"ns1":812,"ns2":830,...}; null = never
//   steady  --nodes N --specs S1,S2 --stop-file F [--duration MS] [--interval MS]
//           polls until F exists (or MS pass); every poll must satisfy every spec and
//           /readyz must be 200 -> {"ns1":{"polls":80,"bad":0,"firstBad":null},...}
//   ready   --url U --specs S1,S2 --deadline MS [--t0 T] [--interval MS]
//           polls U/readyz; at its first 200 fetches every spec's route at once
//           -> {"readyMs":1400,"before":{"000":12,"503":3},"routes":{"TopicA":"ok",...}}
//   same    --urls U1,U2 --deadline MS [--t0 T]   until /v1/cluster is identical on all
//   ons     --addrs host:port,... --spec S --missing TOPIC   ali-ons route query per address
//   loglines --since T --msg M [--match STR]   JSON log lines on stdin -> count + times
/* global process, console, fetch, setTimeout, AbortSignal */
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const args = parseArgs(process.argv.slice(3));
const command = process.argv[2];
const t0 = Number(args.t0 ?? Date.now());
const since = () => Date.now() - t0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const key = argv[i].replace(/^--/, "");
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[key] = true;
    else {
      out[key] = next;
      i += 1;
    }
  }
  return out;
}

function parseNodes(text) {
  return Object.fromEntries(text.split(",").map((pair) => pair.split("=")));
}

function parseSpec(text) {
  const [topic, brokers = ""] = text.split("=");
  return { topic, brokers: brokers.split("+").filter(Boolean) };
}

/** {status, brokers: [{name, addr}]}; status 0 when unreachable. */
async function route(base, topic) {
  try {
    const response = await fetch(`${base}/v1/routes/${topic}`, { signal: AbortSignal.timeout(2000) });
    const body = await response.text();
    if (response.status !== 200) return { status: response.status, brokers: [] };
    const data = JSON.parse(body);
    return {
      status: 200,
      brokers: data.brokerDatas.map((b) => ({ name: b.brokerName, addr: b.brokerAddrs["0"] ?? Object.values(b.brokerAddrs)[0] })),
    };
  } catch {
    return { status: 0, brokers: [] };
  }
}

async function status(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Whether a route answer satisfies a spec; unreachable (0) never does. */
function satisfies(answer, spec, absent) {
  if (answer.status === 0) return false;
  const names = answer.brokers.map((b) => b.name);
  if (absent) return spec.brokers.every((name) => !names.includes(name));
  return answer.status === 200 && spec.brokers.every((name) => names.includes(name));
}

function describe(answer) {
  if (answer.status !== 200) return String(answer.status);
  return answer.brokers.map((b) => `${b.name}@${b.addr}`).join("+");
}

async function watch() {
  const nodes = parseNodes(args.nodes);
  const spec = parseSpec(args.spec);
  const absent = args.absent === true;
  const deadline = Number(args.deadline ?? 10000);
  const interval = Number(args.interval ?? 20);
  const result = Object.fromEntries(Object.keys(nodes).map((name) => [name, null]));
  const last = {};
  while (since() < deadline && Object.values(result).some((v) => v === null)) {
    await Promise.all(
      Object.entries(nodes).map(async ([name, base]) => {
        if (result[name] !== null) return;
        const answer = await route(base, spec.topic);
        last[name] = describe(answer);
        if (satisfies(answer, spec, absent)) result[name] = since();
      }),
    );
    await sleep(interval);
  }
  const ok = Object.values(result).every((v) => v !== null);
  console.log(JSON.stringify(ok ? result : { ...result, last }));
  return ok;
}

async function steady() {
  const nodes = parseNodes(args.nodes);
  const specs = args.specs.split(",").map(parseSpec);
  const duration = Number(args.duration ?? 600000);
  const interval = Number(args["interval"] ?? 50);
  const stats = Object.fromEntries(Object.keys(nodes).map((name) => [name, { polls: 0, bad: 0, firstBad: null }]));
  while (since() < duration && !(args["stop-file"] && existsSync(args["stop-file"]))) {
    await Promise.all(
      Object.entries(nodes).map(async ([name, base]) => {
        const at = since();
        const answers = await Promise.all(specs.map((spec) => route(base, spec.topic)));
        const ready = await status(`${base}/readyz`);
        const stat = stats[name];
        stat.polls += 1;
        const failed = specs.filter((spec, i) => !satisfies(answers[i], spec, false));
        if (failed.length > 0 || ready !== 200) {
          stat.bad += 1;
          stat.firstBad ??= { atMs: at, readyz: ready, routes: Object.fromEntries(specs.map((s, i) => [s.topic, describe(answers[i])])) };
        }
      }),
    );
    await sleep(interval);
  }
  console.log(JSON.stringify(stats));
  return Object.values(stats).every((s) => s.bad === 0 && s.polls > 0);
}

async function ready() {
  const base = args.url;
  const specs = args.specs.split(",").map(parseSpec);
  const deadline = Number(args.deadline ?? 20000);
  const interval = Number(args.interval ?? 20);
  const before = {};
  while (since() < deadline) {
    const code = await status(`${base}/readyz`);
    if (code === 200) {
      const readyMs = since();
      const answers = await Promise.all(specs.map((spec) => route(base, spec.topic)));
      const checkedMs = since();
      const routes = {};
      let ok = true;
      specs.forEach((spec, i) => {
        const good = satisfies(answers[i], spec, false);
        ok &&= good;
        routes[spec.topic] = good ? "ok" : `MISSING (${describe(answers[i])})`;
      });
      console.log(JSON.stringify({ readyMs, checkedMs, before, routes }));
      return ok;
    }
    before[code] = (before[code] ?? 0) + 1;
    await sleep(interval);
  }
  console.log(JSON.stringify({ readyMs: null, before }));
  return false;
}

async function same() {
  const urls = args.urls.split(",");
  const deadline = Number(args.deadline ?? 10000);
  let views = [];
  while (since() < deadline) {
    views = await Promise.all(
      urls.map(async (base) => {
        try {
          const response = await fetch(`${base}/v1/cluster`, { signal: AbortSignal.timeout(2000) });
          return response.status === 200 ? await response.text() : `status ${response.status}`;
        } catch {
          return "unreachable";
        }
      }),
    );
    if (views.every((view) => view === views[0] && !view.startsWith("status") && view !== "unreachable")) {
      console.log(JSON.stringify({ sameMs: since() }));
      return true;
    }
    await sleep(50);
  }
  console.log(JSON.stringify({ sameMs: null, views }));
  return false;
}

async function ons() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const require = createRequire(join(root, "package.json"));
  let MQClientAPI;
  try {
    MQClientAPI = require("ali-ons/lib/mq_client_api.js");
  } catch (error) {
    console.log(JSON.stringify({ error: `ali-ons not installed on the host (npm ci): ${error.message}` }));
    return false;
  }
  const spec = parseSpec(args.spec);
  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  const results = {};
  let ok = true;
  for (const addr of args.addrs.split(",")) {
    const api = new MQClientAPI({ nameSrv: [addr], httpclient: {}, logger: silent, responseTimeout: 3000 });
    api.on("error", () => undefined);
    const result = {};
    try {
      await api.ready();
      const start = Date.now();
      const data = await api.getTopicRouteInfoFromNameServer(spec.topic, 3000);
      result.routeMs = Date.now() - start;
      result.brokers = data.brokerDatas.map((b) => `${b.brokerName}@${b.brokerAddrs["0"]}`).sort();
      result.queues = data.queueDatas.map((q) => `${q.brokerName}:r${q.readQueueNums}w${q.writeQueueNums}p${q.perm}`).sort();
      const names = data.brokerDatas.map((b) => b.brokerName);
      if (!spec.brokers.every((name) => names.includes(name))) ok = false;
      const missing = await api.getTopicRouteInfoFromNameServer(args.missing, 3000).then(
        () => ({ code: "ROUTE RETURNED" }),
        (error) => ({ code: error.code, message: String(error.message).slice(0, 80) }),
      );
      result.unknownTopic = missing;
      if (missing.code !== 17) ok = false;
    } catch (error) {
      result.error = `${error.code ?? ""} ${error.message}`.trim();
      ok = false;
    } finally {
      await api.close().catch(() => undefined);
    }
    results[addr] = result;
  }
  console.log(JSON.stringify(results));
  return ok;
}

function loglines() {
  const sinceMs = Number(args.since ?? 0);
  const lines = readFileSync(0, "utf8").split("\n");
  const hits = [];
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.time < sinceMs || entry.msg !== args.msg) continue;
    if (args.match && !line.includes(args.match)) continue;
    hits.push({ atMs: entry.time - sinceMs, brokerKey: entry.brokerKey, reason: entry.reason, addr: entry.addr });
  }
  console.log(JSON.stringify({ count: hits.length, hits: hits.slice(0, 10) }));
  return true;
}

const commands = { watch, steady, ready, same, ons, loglines };
if (!(command in commands)) {
  console.error(`usage: e2e-probe.mjs ${Object.keys(commands).join("|")} --...`);
  process.exit(2);
}
Promise.resolve(commands[command]()).then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    console.log(JSON.stringify({ error: String(error?.stack ?? error) }));
    process.exit(1);
  },
);
