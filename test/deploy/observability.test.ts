// Goal: the alert rules, their promtool tests, the Grafana dashboard and the runbook agree with
// each other and with the metrics the node really exports: promtool passes, every alert has a
// firing and a silent case, every metric named in a rule or panel exists, every metric family
// of the node has a panel, and every alert has a runbook entry in docs/operations.md.
// Method: promtool (Debian's prometheus package) on the files; metric names taken from the
// registry of a real ServerMetrics rather than from the source text.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SeededRng } from "../../src/core/clock.js";
import { NameServerNode } from "../../src/core/node.js";
import { localConfig } from "../../src/config/config.js";
import { ServerMetrics } from "../../src/server/metrics.js";
import { nodeOptionsOf } from "../../src/server/server.js";
import { REPO } from "./manifests.js";

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly labels?: { readonly severity?: string };
  readonly annotations?: Record<string, string>;
}
interface RuleTest {
  readonly name: string;
  readonly alert_rule_test?: { readonly alertname: string; readonly exp_alerts?: unknown[] }[];
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly uid?: string };
  readonly targets?: { readonly expr?: string }[];
}

const RULES = "deploy/prometheus/alerts.yml";
const RULE_TESTS = "deploy/prometheus/alerts.test.yml";
const DASHBOARD = "deploy/grafana/gossip-namesrv.json";
/** Metrics that Prometheus itself adds to every target. */
const PROMETHEUS_OWN = new Set(["up"]);

const read = (path: string): string => readFileSync(join(REPO, path), "utf8");
const rules = (): Rule[] => (parse(read(RULES)) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
const panels = (): Panel[] => (JSON.parse(read(DASHBOARD)) as { panels: Panel[] }).panels;

/** Metric families the node exports, with their types: the registry of a real ServerMetrics. */
async function exportedFamilies(): Promise<Map<string, string>> {
  const node = new NameServerNode(nodeOptionsOf(localConfig({ id: "n1" })), new SeededRng(1), 0);
  const metrics = new ServerMetrics({ node, connectionsByRole: () => ({ pending: 0, client: 0, broker: 0, peer: 0 }) });
  return new Map((await metrics.registry.getMetricsAsJSON()).map((metric) => [metric.name, String(metric.type)]));
}

/** Metric names in a PromQL expression (quoted label values left out). */
function metricNames(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set(bare.match(/\b(?:namesrv|process|nodejs)_[a-z0-9_]+\b|\bup\b/g) ?? [])];
}

/** The family a series name belongs to (histograms expose _bucket, _sum and _count). */
function familyOf(name: string, families: Map<string, string>): string | null {
  if (families.has(name) || PROMETHEUS_OWN.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return families.get(base) === "histogram" ? base : null;
}

describe("deploy/prometheus and deploy/grafana", () => {
  it("alerts: promtool checks the rules and passes their unit tests", () => {
    const run = (...args: string[]): string => {
      try {
        return execFileSync("promtool", args, { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (error) {
        const failed = error as { stdout?: string; stderr?: string; message: string };
        throw new Error(`promtool ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? failed.message}`);
      }
    };
    expect(run("check", "rules", RULES)).toContain(`SUCCESS: ${rules().length} rules found`);
    expect(run("test", "rules", RULE_TESTS)).toContain("SUCCESS");
  });

  it("alerts: every alert has a firing and a silent promtool case", () => {
    const tests = (parse(read(RULE_TESTS)) as { tests: RuleTest[] }).tests;
    const cases = tests.flatMap((test) => test.alert_rule_test ?? []);
    const names = rules().map((rule) => rule.alert);
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      const mine = cases.filter((item) => item.alertname === name);
      expect(mine.some((item) => (item.exp_alerts ?? []).length > 0), `${name} fires in some case`).toBe(true);
      expect(mine.some((item) => (item.exp_alerts ?? []).length === 0), `${name} is silent in some case`).toBe(true);
    }
    for (const item of cases) expect(names, `a case names an alert that exists`).toContain(item.alertname);
  });

  it("alerts: every rule names metrics the node exports, a severity, and its runbook entry", async () => {
    const families = await exportedFamilies();
    const runbook = read("docs/operations.md");
    for (const rule of rules()) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(familyOf(name, families), `${rule.alert}: metric ${name}`).not.toBeNull();
      expect(["warning", "critical"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.["runbook"]).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
      expect(runbook, `docs/operations.md has a section for ${rule.alert}`).toMatch(new RegExp(`^### ${rule.alert}$`, "m"));
      for (const key of ["summary", "description"]) expect(rule.annotations?.[key], `${rule.alert} ${key}`).toBeTruthy();
    }
  });

  it("dashboard: every query names exported metrics, and every metric family of the node has a panel", async () => {
    const families = await exportedFamilies();
    const shown = new Set<string>();
    for (const panel of panels().filter((item) => item.type !== "row")) {
      const exprs = (panel.targets ?? []).map((target) => target.expr ?? "");
      expect(exprs.length, panel.title).toBeGreaterThan(0);
      for (const expr of exprs) {
        const names = metricNames(expr);
        expect(names.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        for (const name of names) {
          const family = familyOf(name, families);
          expect(family, `${panel.title}: metric ${name}`).not.toBeNull();
          if (family) shown.add(family);
        }
      }
    }
    const missing = [...families.keys()].filter((name) => name.startsWith("namesrv_") && !shown.has(name));
    expect(missing, "namesrv_* families without a panel").toEqual([]);
  });

  it("dashboard: panels have unique ids, fit the 24-column grid, and use the defined variables", () => {
    const dashboard = JSON.parse(read(DASHBOARD)) as { uid: string; templating: { list: { name: string }[] } };
    const variables = new Set(dashboard.templating.list.map((variable) => variable.name));
    expect(dashboard.uid).toBe("gossip-namesrv");
    const ids = panels().map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels()) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === "row") continue;
      expect(panel.datasource?.uid, panel.title).toBe("${datasource}");
      for (const target of panel.targets ?? []) {
        for (const used of (target.expr ?? "").match(/\$(\w+)/g) ?? []) {
          if (used !== "$__rate_interval") expect(variables, `${panel.title}: ${used}`).toContain(used.slice(1));
        }
      }
    }
  });
});
