// The intended differences between our node and the Java NameServer, each once, each with a
// one-line reason; docs/rocketmq-compatibility.md lists the same. Anything else the
// differential test finds is a failure.
import * as rm from "../../../src/protocol/remoting/index.js";
import type { AllowEntry, NormalAnswer } from "./compare.js";

function isObject(value: rm.JsonValue | null): value is rm.JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Drops `keys` from both GET_NAMESRV_CONFIG bodies; true when one had any of them. */
function dropConfigKeys(reference: NormalAnswer, candidate: NormalAnswer, keys: (key: string) => boolean): boolean {
  let changed = false;
  for (const answer of [reference, candidate]) {
    if (!isObject(answer.body)) continue;
    for (const key of Object.keys(answer.body)) {
      if (!keys(key)) continue;
      delete answer.body[key];
      changed = true;
    }
  }
  return changed;
}

/** GET_NAMESRV_CONFIG values that belong to the process (its port and file paths). */
const PER_PROCESS_CONFIG_KEYS: ReadonlySet<string> = new Set(["listenPort", "kvConfigPath", "configStorePath", "rocketmqHome"]);

/** The allow-list. */
export const ALLOW_LIST: readonly AllowEntry[] = [
  {
    id: "namesrv-config-unsupported-keys",
    reason: "GET_NAMESRV_CONFIG: we report only the options we support, so only keys both servers report are compared",
    normalise: (step, reference, candidate) => {
      if (step.request.code !== rm.RequestCode.GET_NAMESRV_CONFIG || !isObject(reference.body) || !isObject(candidate.body)) return false;
      const ref = reference.body;
      const cand = candidate.body;
      return dropConfigKeys(reference, candidate, (key) => !(Object.hasOwn(ref, key) && Object.hasOwn(cand, key)));
    },
  },
  {
    id: "namesrv-config-per-process",
    reason: "GET_NAMESRV_CONFIG: listenPort, kvConfigPath, configStorePath and rocketmqHome are this process's port and paths",
    normalise: (step, reference, candidate) =>
      step.request.code === rm.RequestCode.GET_NAMESRV_CONFIG && dropConfigKeys(reference, candidate, (key) => PER_PROCESS_CONFIG_KEYS.has(key)),
  },
  {
    id: "namesrv-config-scan-interval",
    reason: "GET_NAMESRV_CONFIG scanNotActiveBrokerInterval: our expiry check runs every tick (50 ms), Java scans every 5000 ms",
    normalise: (step, reference, candidate) =>
      step.request.code === rm.RequestCode.GET_NAMESRV_CONFIG && dropConfigKeys(reference, candidate, (key) => key === "scanNotActiveBrokerInterval"),
  },
  {
    id: "namesrv-config-wait-for-service",
    reason: "GET_NAMESRV_CONFIG needWaitForService: a node with peers answers 'name server not ready' until it has pulled a snapshot; Java's default is off",
    normalise: (step, reference, candidate) =>
      step.request.code === rm.RequestCode.GET_NAMESRV_CONFIG && dropConfigKeys(reference, candidate, (key) => key === "needWaitForService"),
  },
  {
    id: "malformed-topic-skipped",
    reason: "a registered topic name with whitespace or over 512 chars: we skip that topic (and keep the rest), Java stores any name, so its route exists only there",
    accepts: (step, reference, candidate) => {
      const topic = step.request.extFields["topic"] ?? "";
      return (
        step.tags.includes("malformed-topic") &&
        step.request.code === rm.RequestCode.GET_ROUTEINFO_BY_TOPIC &&
        (/\s/.test(topic) || topic.length > 512) &&
        reference.code === rm.ResponseCode.SUCCESS &&
        candidate.code === rm.ResponseCode.TOPIC_NOT_EXIST
      );
    },
  },
];
