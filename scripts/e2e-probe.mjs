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
//           (the deadline counts from the probe's own start; --t0 0 gives epoch ms)
//           first time each node satisfies S -> {"ns1":812,"ns2":830,...}; null = never
//   watch-all --nodes N --specs S1,S2 --deadline MS   like watch for several specs in one
//           process, times in epoch ms -> {"TopicA":{"ns1":1795692145929,...},...}
//   steady  --nodes N --specs S1,S2 --stop-file F [--duration MS] [--interval MS]
//           polls until F exists (or MS pass); every poll must satisfy every spec and
//           /readyz must be 200 -> {"ns1":{"polls":80,"bad":0,"firstBad":null},...}
//   ready   --url U --specs S1,S2 --deadline MS [--t0 T] [--interval MS]
//           polls U/readyz; at its first 200 fetches every spec's route at once
//           -> {"readyMs":1400,"before":{"000":12,"503":3},"routes":{"TopicA":"ok",...}}
//   same    --urls U1,U2 --deadline MS [--t0 T]   until /v1/cluster is identical on all
//   show    --nodes N --topic T         each node's route as BROKER@ADDR+... (or the status)
//   ons     --addrs host:port,... --specs S1,S2 --missing TOPIC   ali-ons (a RocketMQ
//           client) asks each remoting address for every spec's topic and for TOPIC,
//           which must fail with TOPIC_NOT_EXIST (17)
//   fmt     --json J --expr E           prints E evaluated with o = J (output formatting)
//   loglines --since T --msg M [--match STR]   JSON log lines on stdin -> count + times
/* global process, console, fetch, setTimeout, setInterval, clearInterval, AbortSignal */
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const args = parseArgs(process.argv.slice(3));
const command = process.argv[2];
const t0 = Number(args.t0 ?? Date.now());
const since = () => Date.now() - t0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// AbortSignal.timeout's timer is unref'd: while a fetch hangs on a port whose container is
// (re)starting, nothing else may hold the event loop, and node would exit 0 silently.
const keepAlive = setInterval(() => undefined, 1000);

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

async function status(url, timeoutMs = 2000) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
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
  return answer.brokers.map((b) => `${b.name}@${b.addr}`).sort().join("+");
}

async function show() {
  const nodes = parseNodes(args.nodes);
  const out = {};
  for (const [name, base] of Object.entries(nodes)) out[name] = describe(await route(base, args.topic));
  console.log(JSON.stringify(out));
  return true;
}

/** Evaluates a JS expression over a JSON value `o` and prints it (for the shell script). */
function fmt() {
  let o;
  try {
    o = JSON.parse(args.json);
  } catch {
    console.log(`(no result: ${JSON.stringify(String(args.json === true ? "" : args.json).slice(0, 200))})`);
    return false;
  }
  console.log(new Function("o", `return (${args.expr});`)(o));
  return true;
}

async function watch() {
  const nodes = parseNodes(args.nodes);
  const spec = parseSpec(args.spec);
  const absent = args.absent === true;
  const deadline = Number(args.deadline ?? 10000);
  const interval = Number(args.interval ?? 20);
  const result = Object.fromEntries(Object.keys(nodes).map((name) => [name, null]));
  const last = {};
  const answered = {};
  const started = Date.now();
  while (Date.now() - started < deadline && Object.values(result).some((v) => v === null)) {
    await Promise.all(
      Object.entries(nodes).map(async ([name, base]) => {
        if (result[name] !== null) return;
        const answer = await route(base, spec.topic);
        last[name] = describe(answer);
        if (answer.status !== 0) answered[name] ??= since();
        if (satisfies(answer, spec, absent)) result[name] = since();
      }),
    );
    await sleep(interval);
  }
  const ok = Object.values(result).every((v) => v !== null);
  // firstAnswer: when each node first answered at all (differs after a restart or a heal).
  console.log(JSON.stringify(ok ? { ...result, firstAnswer: answered } : { ...result, firstAnswer: answered, last }));
  return ok;
}

/** Like watch for several specs at once; times are epoch ms (start it before the brokers). */
async function watchAll() {
  const nodes = parseNodes(args.nodes);
  const specs = args.specs.split(",").map(parseSpec);
  const deadline = Date.now() + Number(args.deadline ?? 20000);
  const interval = Number(args.interval ?? 25);
  const result = Object.fromEntries(specs.map((spec) => [spec.topic, Object.fromEntries(Object.keys(nodes).map((n) => [n, null]))]));
  const pending = () => specs.some((spec) => Object.values(result[spec.topic]).some((v) => v === null));
  while (Date.now() < deadline && pending()) {
    await Promise.all(
      specs.flatMap((spec) =>
        Object.entries(nodes).map(async ([name, base]) => {
          if (result[spec.topic][name] !== null) return;
          if (satisfies(await route(base, spec.topic), spec, false)) result[spec.topic][name] = Date.now();
        }),
      ),
    );
    await sleep(interval);
  }
  console.log(JSON.stringify(result));
  return !pending();
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
    // A short timeout: right after `docker start`, docker-proxy accepts and then stalls.
    const code = await status(`${base}/readyz`, 250);
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
  const specs = args.specs.split(",").map(parseSpec);
  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  const results = {};
  let ok = true;
  for (const addr of args.addrs.split(",")) {
    const api = new MQClientAPI({ nameSrv: [addr], httpclient: {}, logger: silent, responseTimeout: 3000 });
    api.on("error", () => undefined);
    const result = {};
    try {
      await api.ready();
      for (const spec of specs) {
        const start = Date.now();
        const data = await api.getTopicRouteInfoFromNameServer(spec.topic, 3000);
        const names = data.brokerDatas.map((b) => b.brokerName);
        const good = spec.brokers.every((name) => names.includes(name));
        if (!good) ok = false;
        result[spec.topic] = {
          ok: good,
          ms: Date.now() - start,
          brokers: data.brokerDatas.map((b) => `${b.brokerName}@${b.brokerAddrs["0"]}`).sort().join("+"),
          queues: data.queueDatas.map((q) => `${q.brokerName}:r${q.readQueueNums}w${q.writeQueueNums}p${q.perm}`).sort().join("+"),
        };
      }
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

const commands = { watch, "watch-all": watchAll, steady, ready, same, show, ons, loglines, fmt };
if (!(command in commands)) {
  console.error(`usage: e2e-probe.mjs ${Object.keys(commands).join("|")} --...`);
  process.exit(2);
}
Promise.resolve(commands[command]()).then(
  (ok) => {
    clearInterval(keepAlive);
    process.exit(ok ? 0 : 1);
  },
  (error) => {
    console.log(JSON.stringify({ error: String(error?.stack ?? error) }));
    process.exit(1);
  },
);
