// The comparison peers: HashiCorp Serf and etcd 3.4 from Debian packages. Installs them with
// apt-get when missing and running as root; otherwise reports why a comparison is skipped.
import { existsSync } from "node:fs";
import { runCommand } from "./util.js";

/** apt-get may take a while on a fresh machine; bounded all the same. */
const APT_TIMEOUT_MS = 300_000;

/** What is available of the peers, with versions or the reason for a skip. */
export interface PeerStatus {
  readonly serf: string | null;
  readonly etcd: string | null;
  readonly etcdctl: string | null;
  readonly notes: string[];
}

/** Binary paths Debian installs. */
export const SERF_BIN = "/usr/bin/serf";
export const ETCD_BIN = "/usr/bin/etcd";
export const ETCDCTL_BIN = "/usr/bin/etcdctl";

async function which(name: string, fallback: string): Promise<string | null> {
  if (existsSync(fallback)) return fallback;
  const found = await runCommand("sh", ["-c", `command -v ${name}`], 5_000);
  return found.code === 0 ? found.output.trim() : null;
}

/** Finds serf and etcd; installs the missing ones with apt-get when root. */
export async function ensurePeers(log: (line: string) => void): Promise<{ status: PeerStatus; serfBin: string | null; etcdBin: string | null; etcdctlBin: string | null }> {
  const notes: string[] = [];
  let serfBin = await which("serf", SERF_BIN);
  let etcdBin = await which("etcd", ETCD_BIN);
  let etcdctlBin = await which("etcdctl", ETCDCTL_BIN);
  const missing = [
    ...(serfBin ? [] : ["serf"]),
    ...(etcdBin ? [] : ["etcd-server"]),
    ...(etcdctlBin ? [] : ["etcd-client"]),
  ];
  if (missing.length > 0) {
    if (process.getuid?.() === 0) {
      log(`installing ${missing.join(", ")} with apt-get`);
      const update = await runCommand("apt-get", ["update", "-qq"], APT_TIMEOUT_MS);
      if (update.code !== 0) notes.push(`apt-get update failed: ${update.output.slice(-200)}`);
      const install = await runCommand("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], APT_TIMEOUT_MS);
      if (install.code !== 0) notes.push(`apt-get install ${missing.join(" ")} failed: ${install.output.slice(-300)}`);
      serfBin = await which("serf", SERF_BIN);
      etcdBin = await which("etcd", ETCD_BIN);
      etcdctlBin = await which("etcdctl", ETCDCTL_BIN);
    } else {
      notes.push(`not root and ${missing.join(", ")} missing: the comparisons that need them are skipped`);
    }
  }
  const serf = serfBin ? firstLine((await runCommand(serfBin, ["version"], 10_000)).output) : null;
  const etcd = etcdBin ? firstLine((await runCommand(etcdBin, ["--version"], 10_000)).output) : null;
  const etcdctl = etcdctlBin ? firstLine((await runCommand(etcdctlBin, ["version"], 10_000)).output) : null;
  if (!serfBin) notes.push("serf not available: Serf comparisons not measured");
  if (!etcdBin) notes.push("etcd not available: etcd comparisons not measured");
  return { status: { serf, etcd, etcdctl, notes }, serfBin, etcdBin, etcdctlBin };
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}
