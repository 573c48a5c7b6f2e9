// Goal: deploy/kubernetes builds offline (base and TLS overlay, and the credentials Secret),
// every object is valid Kubernetes (JSON schemas and, for unknown fields, the TypeScript
// interfaces of kubernetes-models), and the StatefulSet agrees with the node itself: every
// flag is a real `namesrv start` option with a value where it takes one, the probes hit the
// node's real /healthz and /readyz on the port it listens on, the peers are found through the
// governing headless Service, files named by flags are mounted, and the stop fits the grace period.
// Method: `kubectl kustomize` (reads files only, never a cluster), the built CLI's --help, and
// the HTTP routes of a NodeHost, as src/server/http.test.ts builds one.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IService } from "kubernetes-models/v1/Service";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { SeededRng } from "../../src/core/clock.js";
import { NameServerNode } from "../../src/core/node.js";
import { localConfig } from "../../src/config/config.js";
import { createLogger } from "../../src/host/logger.js";
import { NodeHost } from "../../src/host/node_host.js";
import { routeHttp } from "../../src/server/http.js";
import { ServerMetrics } from "../../src/server/metrics.js";
import { DRAIN_TIMEOUT_MS } from "../../src/limits.js";
import { nodeOptionsOf } from "../../src/server/server.js";
import { kustomize, kustomizeCredentials, REPO, schemaProblems, splitArg, startOptions, typeProblems, type CliOption, type KubeObject } from "./manifests.js";

/** The keys of the TLS Secret the overlay mounts: cert-manager's and `kubectl create secret tls` (+ ca.crt). */
const TLS_SECRET_KEYS = ["tls.crt", "tls.key", "ca.crt"];

function must<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`missing: ${what}`);
  return value;
}

function only<T extends KubeObject>(objects: readonly KubeObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}

/** Does a selector (matchLabels or a Service's selector) pick pods with these labels? */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const entries = Object.entries(must(selector, "selector"));
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

interface Build {
  readonly name: string;
  readonly objects: KubeObject[];
  readonly sts: IStatefulSet;
  readonly container: IContainer;
  readonly args: { flag: string; value: string | null }[];
  readonly podLabels: Record<string, string>;
}

function build(name: string, dir: string): Build {
  const objects = kustomize(join(REPO, dir));
  const sets = only<KubeObject & IStatefulSet>(objects, "StatefulSet");
  expect(sets).toHaveLength(1);
  const sts = must(sets[0], "StatefulSet");
  const containers = must(sts.spec?.template.spec?.containers, "containers");
  expect(containers).toHaveLength(1);
  const container = must(containers[0], "container");
  const args = must(container.args, "args");
  expect(args[0]).toBe("start");
  return { name, objects, sts, container, args: args.slice(1).map(splitArg), podLabels: must(sts.spec?.template.metadata?.labels, "pod labels") };
}

function values(item: Build, flag: string): string[] {
  return item.args.filter((arg) => arg.flag === flag).map((arg) => must(arg.value, `${flag} value`));
}

function one(item: Build, flag: string): string {
  const found = values(item, flag);
  expect(found, flag).toHaveLength(1);
  return must(found[0], flag);
}

function port(item: Build, name: string): number {
  return must(item.container.ports?.find((entry) => entry.name === name)?.containerPort, `container port '${name}'`);
}

/** Status of a GET on the node's real HTTP routes (ready or not). */
async function statusOf(path: string, ready: boolean): Promise<number> {
  const config = ready ? localConfig({ id: "n1" }) : localConfig({ id: "n1", peers: ["10.0.0.2:9877"], startupGraceMs: 60_000 });
  const node = new NameServerNode(nodeOptionsOf(config), new SeededRng(1), 0);
  const logger = createLogger("fatal", config.id, { write: () => undefined });
  const host = new NodeHost(node, { nowMs: () => 0 }, logger);
  const metrics = new ServerMetrics({ node, connectionsByRole: () => ({ pending: 0, client: 0, broker: 0, peer: 0 }) });
  return (await routeHttp("GET", path, { host, metrics, logger, tickLate: () => false })).answer.status;
}

let options: Map<string, CliOption>;
let builds: Build[];

beforeAll(() => {
  options = startOptions();
  builds = [build("base", "deploy/kubernetes/base"), build("tls", "deploy/kubernetes/overlays/tls")];
});

describe("deploy/kubernetes", () => {
  it("kubernetes: base and TLS overlay build with kubectl kustomize into the expected objects", () => {
    for (const item of builds) {
      const names = item.objects.map((object) => `${object.kind}/${object.metadata.name}`).sort();
      expect(names, item.name).toEqual([
        "PodDisruptionBudget/namesrv",
        "Service/namesrv",
        "Service/namesrv-headless",
        "Service/namesrv-http",
        "ServiceAccount/namesrv",
        "StatefulSet/namesrv",
      ]);
    }
  });

  it("kubernetes: every object passes the schemas and the typed interfaces of kubernetes-models", () => {
    const secrets = kustomizeCredentials(["cluster.secret", "broker.token", "admin.token"]);
    const all = [...(builds[0]?.objects ?? []), ...(builds[1]?.objects ?? []), ...secrets];
    for (const [object, problem] of Object.entries(schemaProblems(all))) expect(problem, object).toBe("");
    expect(typeProblems(all)).toEqual([]);
  });

  it("kubernetes: the validators catch a bad field, an unknown field and a bad enum", () => {
    const sts = must(builds[0], "base").sts as unknown as KubeObject & IStatefulSet;
    const container = { ...must(sts.spec?.template.spec?.containers[0], "container") };
    const withContainer = (changed: object): KubeObject =>
      ({ ...sts, spec: { ...sts.spec, template: { ...sts.spec?.template, spec: { ...sts.spec?.template.spec, containers: [changed] } } } }) as unknown as KubeObject;
    const badPort = withContainer({ ...container, ports: [{ name: "http", containerPort: "9877" }] });
    expect(Object.values(schemaProblems([badPort]))[0]).toContain("containerPort");
    const typo = withContainer({ ...container, readinesProbe: container.readinessProbe });
    expect(Object.values(schemaProblems([typo]))[0]).toBe("");
    expect(typeProblems([typo]).join("\n")).toContain("readinesProbe");
    const badPolicy = { ...sts, spec: { ...sts.spec, podManagementPolicy: "Paralel" } } as unknown as KubeObject;
    expect(Object.values(schemaProblems([badPolicy]))[0]).toContain("podManagementPolicy");
  });

  it("kubernetes: every flag is a real `namesrv start` option, with a value exactly where it takes one", () => {
    expect(options.size).toBeGreaterThan(20);
    for (const item of builds) {
      for (const { flag, value } of item.args) {
        const option = options.get(flag);
        expect(option, `${item.name}: ${flag} is not an option of namesrv start`).toBeDefined();
        if (option?.takesValue) expect(value, `${item.name}: ${flag} needs a value`).toBeTruthy();
        else expect(value, `${item.name}: ${flag} takes no value`).toBeNull();
      }
    }
    // The image runs `node dist/cli/main.js`; the manifests give only its arguments.
    expect(readFileSync(join(REPO, "Dockerfile"), "utf8")).toContain('ENTRYPOINT ["node", "dist/cli/main.js"]');
    for (const item of builds) expect(item.container.command, item.name).toBeUndefined();
  });

  it("kubernetes: ports, probes and Services agree with the node's flags and real HTTP routes", async () => {
    expect(await statusOf("/healthz", false)).toBe(200);
    expect(await statusOf("/readyz", true)).toBe(200);
    expect(await statusOf("/readyz", false)).toBe(503);
    for (const item of builds) {
      const httpPort = Number(one(item, "--port"));
      const remotingPort = Number(one(item, "--remoting-port"));
      expect([httpPort, remotingPort], "the CLI's defaults").toEqual([
        Number(options.get("--port")?.defaultText),
        Number(options.get("--remoting-port")?.defaultText),
      ]);
      expect(port(item, "http")).toBe(httpPort);
      expect(port(item, "remoting")).toBe(remotingPort);
      const tls = values(item, "--tls-cert-file").length > 0;
      const probes: [string, IProbe | undefined, string][] = [
        ["startup", item.container.startupProbe, "/healthz"],
        ["readiness", item.container.readinessProbe, "/readyz"],
        ["liveness", item.container.livenessProbe, "/healthz"],
      ];
      for (const [kind, probe, path] of probes) {
        const get = must(probe?.httpGet, `${item.name} ${kind} probe`);
        expect([get.path, get.port, get.scheme], `${item.name} ${kind} probe`).toEqual([path, "http", tls ? "HTTPS" : "HTTP"]);
      }
      const prometheus = item.sts.spec?.template.metadata?.annotations ?? {};
      expect([prometheus["prometheus.io/port"], prometheus["prometheus.io/scheme"] ?? "http"]).toEqual([String(httpPort), tls ? "https" : "http"]);

      const services = only<KubeObject & IService>(item.objects, "Service");
      for (const service of services) expect(selects(service.spec?.selector, item.podLabels), service.metadata.name).toBe(true);
      const headless = must(services.find((service) => service.metadata.name === item.sts.spec?.serviceName), "governing Service");
      expect([headless.spec?.clusterIP, headless.spec?.publishNotReadyAddresses]).toEqual(["None", true]);
      const clients = services.filter((service) => service !== headless);
      for (const [portNumber, name] of [[remotingPort, "remoting"], [httpPort, "http"]] as const) {
        const client = clients.find((service) => service.spec?.ports?.some((entry) => entry.port === portNumber && entry.targetPort === name));
        expect(client?.spec?.clusterIP, `client Service for ${portNumber}`).toBeUndefined();
        expect(client, `client Service for ${portNumber}`).toBeDefined();
      }
      expect(headless.spec?.ports?.map((entry) => [entry.port, entry.targetPort]).sort()).toEqual([[httpPort, "http"], [remotingPort, "remoting"]].sort());
    }
  });

  it("kubernetes: the peers are found through the headless Service on the HTTP port, and each node's id is its pod name", () => {
    for (const item of builds) {
      // Every pod (starting ones too: publishNotReadyAddresses) at any replica count, no peer list.
      expect(values(item, "--peer-dns"), item.name).toEqual([`${item.sts.spec?.serviceName}:${one(item, "--port")}`]);
      expect(values(item, "--peer"), item.name).toEqual([]);
      expect(nodeOptionsOf(localConfig({ peerDns: values(item, "--peer-dns") })).peersConfigured, "waits for a peer's snapshot").toBe(true);
      expect(one(item, "--id")).toBe("$(POD_NAME)");
      expect(item.container.env?.find((entry) => entry.name === "POD_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
      expect(item.sts.spec?.podManagementPolicy).toBe("Parallel");
    }
  });

  it("kubernetes: files named by flags are mounted from the Secrets, the data dir is writable", () => {
    const credentials = kustomizeCredentials(["cluster.secret", "broker.token", "admin.token"]);
    const secretKeys: Record<string, string[]> = { "namesrv-tls": TLS_SECRET_KEYS };
    for (const secret of credentials) secretKeys[secret.metadata.name] = Object.keys(must(secret["data"] as Record<string, string>, "data"));
    for (const item of builds) {
      const spec = must(item.sts.spec?.template.spec, "pod spec");
      const mounts = must(item.container.volumeMounts, "volume mounts");
      const fileFlags = item.args.filter((arg) => arg.flag.endsWith("-file"));
      expect(fileFlags.length, item.name).toBeGreaterThanOrEqual(3);
      for (const { flag, value } of fileFlags) {
        const path = must(value, flag);
        const mount = must(mounts.find((entry) => path.startsWith(`${entry.mountPath}/`)), `${item.name}: mount for ${flag}=${path}`);
        const volume = spec.volumes?.find((entry) => entry.name === mount.name);
        const secretName = must(volume?.secret?.secretName, `${item.name}: ${flag} comes from a Secret`);
        expect(secretKeys[secretName], `${item.name}: ${flag}=${path} is a key of Secret ${secretName}`).toContain(path.slice(mount.mountPath.length + 1));
        expect(mount.readOnly).toBe(true);
      }
      const dataDir = one(item, "--data-dir");
      const dataMount = must(mounts.find((entry) => entry.mountPath === dataDir), "data dir mount");
      expect(dataMount.readOnly ?? false).toBe(false);
      expect(item.sts.spec?.volumeClaimTemplates?.map((claim) => claim.metadata?.name)).toContain(dataMount.name);
    }
  });

  it("kubernetes: non-root, read-only root filesystem, no privileges, requests and limits", () => {
    expect(readFileSync(join(REPO, "Dockerfile"), "utf8")).toMatch(/chownSync\(d,1000,1000\)[\s\S]*USER node/);
    for (const item of builds) {
      const pod = must(item.sts.spec?.template.spec, "pod spec");
      expect([pod.securityContext?.runAsNonRoot, pod.securityContext?.runAsUser, pod.securityContext?.fsGroup]).toEqual([true, 1000, 1000]);
      expect([pod.automountServiceAccountToken, pod.enableServiceLinks]).toEqual([false, false]);
      const security = must(item.container.securityContext, "container securityContext");
      expect([security.readOnlyRootFilesystem, security.allowPrivilegeEscalation, security.capabilities?.drop]).toEqual([true, false, ["ALL"]]);
      const resources = must(item.container.resources, "resources");
      for (const side of [resources.requests, resources.limits]) expect(Object.keys(must(side, "requests/limits")).sort()).toEqual(["cpu", "memory"]);
      const limitMiB = mebibytes(String(resources.limits?.["memory"]));
      const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(item.container.env?.find((entry) => entry.name === "NODE_OPTIONS")?.value ?? "")?.[1]);
      expect(heapMiB).toBeGreaterThan(0);
      expect(heapMiB).toBeLessThan(limitMiB);
    }
  });

  it("kubernetes: the preStop hook and the node's drain (bounded by DRAIN_TIMEOUT_MS) fit in terminationGracePeriodSeconds", () => {
    for (const item of builds) {
      const command = must(item.container.lifecycle?.preStop?.exec?.command, "preStop command");
      expect(command.slice(0, 2)).toEqual(["node", "-e"]);
      const waitMs = Number(must(/setTimeout\(\(\) => \{\}, (\d+)\)/.exec(command[2] ?? "")?.[1], "preStop wait"));
      const graceMs = 1_000 * must(item.sts.spec?.template.spec?.terminationGracePeriodSeconds, "grace");
      expect(waitMs).toBeGreaterThan(0);
      // SIGTERM comes after the preStop hook; the node then exits within DRAIN_TIMEOUT_MS on its own.
      expect(waitMs + DRAIN_TIMEOUT_MS).toBeLessThanOrEqual(graceMs);
    }
  });

  it("kubernetes: one pod at a time may go, spread over machines and zones", () => {
    for (const item of builds) {
      const [budget] = only<KubeObject & IPodDisruptionBudget>(item.objects, "PodDisruptionBudget");
      expect(budget?.spec?.maxUnavailable).toBe(1);
      expect(selects(budget?.spec?.selector?.matchLabels, item.podLabels)).toBe(true);
      const pod = must(item.sts.spec?.template.spec, "pod spec");
      const anti = must(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, "pod anti-affinity");
      expect(anti.map((term) => term.podAffinityTerm.topologyKey)).toContain("kubernetes.io/hostname");
      for (const term of anti) expect(selects(term.podAffinityTerm.labelSelector?.matchLabels, item.podLabels)).toBe(true);
      const spread = must(pod.topologySpreadConstraints, "topology spread");
      expect(spread.map((constraint) => constraint.topologyKey)).toContain("topology.kubernetes.io/zone");
      for (const constraint of spread) expect(selects(constraint.labelSelector?.matchLabels, item.podLabels)).toBe(true);
      expect(selects(item.sts.spec?.selector.matchLabels, item.podLabels)).toBe(true);
    }
  });
});

function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`memory quantity '${quantity}' is not NMi or NGi`);
  return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
}
