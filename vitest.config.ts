// Eight test projects: unit (pure code, colocated), sim (seeded cluster simulator),
// integration (real sockets on 127.0.0.1 against the built CLI and server), interop (the
// real Apache RocketMQ from Maven Central against our nodes; not part of `npm test`, run with
// `npm run test:interop`), chaos (the chaos checker on made-up histories, and the proof
// that it catches a broken cluster in network namespaces; `npm run test:chaos`, as root),
// browser (the dashboard in headless Chromium against real nodes; `npm run test:browser`),
// deploy (deploy/: Kubernetes manifests, alert rules and Grafana dashboard, checked offline;
// `npm run test:deploy`) and e2e (the compose cluster; scripts/e2e-compose.sh).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One test file at a time across projects: `npm test` runs unit, sim and integration in one
    // process, and the integration tests that time a node under load (burst_fairness, connection
    // exhaustion) must not share the two cores with sim files running beside them.
    maxWorkers: 1,
    projects: [
      { test: { name: "unit", include: ["src/**/*.test.ts"], environment: "node" } },
      { test: { name: "sim", include: ["test/sim/**/*.sim.test.ts"], environment: "node", testTimeout: 120_000 } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.int.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "chaos",
          include: ["test/chaos/**/*.test.ts"],
          environment: "node",
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The dashboard in headless Chromium against real nodes (`npm run test:browser`, not part of `npm test`).
        test: {
          name: "browser",
          include: ["test/browser/**/*.browser.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // deploy/: the Kubernetes manifests (kubectl kustomize, schema checks, the real CLI's
        // flags), the alert rules (promtool) and the Grafana dashboard (`npm run test:deploy`).
        test: { name: "deploy", include: ["test/deploy/**/*.test.ts"], environment: "node", testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        test: {
          name: "interop",
          include: ["test/interop/**/*.interop.test.ts"],
          environment: "node",
          testTimeout: 240_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        // The docker compose cluster's checks: only through scripts/e2e-compose.sh, which starts
        // the cluster first (not part of `npm test`).
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
          // The checks print their measured figures as lines of the run's log.
          disableConsoleIntercept: true,
        },
      },
    ],
  },
});
