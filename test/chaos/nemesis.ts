// Carries out a schedule on a cluster: each fault is applied at its time, held, and healed;
// faults on one process wait for the one before (a restart may run late). Every fault is
// recorded with the times it was applied and healed.
import type { Cluster } from "./cluster.js";
import type { FaultRecord } from "./history.js";
import type { PlannedFault } from "./schedule.js";

/** Runs the schedule; resolves when every fault has been healed (or the run was aborted). */
export class Nemesis {
  private readonly chains = new Map<string, Promise<void>>();
  private aborted = false;
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(
    private readonly cluster: Cluster,
    private readonly faults: FaultRecord[],
    private readonly log: (message: string) => void,
  ) {}

  /** Starts every fault at its planned time; resolves when all are healed. */
  async run(schedule: readonly PlannedFault[]): Promise<void> {
    await Promise.all(schedule.map((fault) => this.one(fault)));
  }

  /** Stops waiting: faults not yet started are skipped, holds end now (then they heal). */
  abort(): void {
    this.aborted = true;
    for (const entry of this.timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.timers.clear();
  }

  private async one(fault: PlannedFault): Promise<void> {
    await this.sleepUntil(fault.atMs);
    if (this.aborted) return;
    const target = fault.targets[0] as string;
    const lock = ["nodeKill", "nodePause", "clockStep", "brokerKill", "brokerPause", "brokerRestart"].includes(fault.kind) ? target : null;
    const before = lock === null ? Promise.resolve() : (this.chains.get(lock) ?? Promise.resolve());
    const done = before.then(() => this.execute(fault));
    if (lock !== null) this.chains.set(lock, done.catch(() => undefined));
    await done;
  }

  private async execute(fault: PlannedFault): Promise<void> {
    if (this.aborted) return;
    const record: FaultRecord = {
      id: fault.id, kind: fault.kind, targets: fault.targets, params: fault.params, links: fault.links,
      startMs: this.cluster.nowMs(), appliedMs: 0, healStartMs: null, healedMs: null,
    };
    this.faults.push(record);
    let heal: () => Promise<void>;
    try {
      heal = await this.apply(fault);
    } catch (error) {
      this.log(`fault ${fault.id} ${fault.kind} could not be applied: ${(error as Error).message}`);
      record.appliedMs = record.healStartMs = record.healedMs = this.cluster.nowMs();
      return;
    }
    record.appliedMs = this.cluster.nowMs();
    await this.sleepUntil(record.appliedMs + fault.holdMs);
    record.healStartMs = this.cluster.nowMs();
    try {
      await heal();
    } catch (error) {
      this.log(`fault ${fault.id} ${fault.kind} could not be healed: ${(error as Error).message}`);
    }
    record.healedMs = this.cluster.nowMs();
  }

  /** Applies a fault; returns its heal. */
  private async apply(fault: PlannedFault): Promise<() => Promise<void>> {
    const { cluster } = this;
    const target = fault.targets[0] as string;
    switch (fault.kind) {
      case "nodeKill": {
        const proc = cluster.node(target);
        proc.signal("SIGKILL");
        await proc.exited;
        return async () => void cluster.spawnNode(target, 0);
      }
      case "nodePause":
      case "brokerPause": {
        const proc = fault.kind === "nodePause" ? cluster.node(target) : cluster.broker(target);
        cluster.procs.pause(proc, true);
        return async () => cluster.procs.pause(proc, false);
      }
      case "clockStep": {
        await cluster.procs.stop(cluster.node(target));
        cluster.spawnNode(target, fault.params["offsetMs"] as number);
        return async () => {
          await cluster.procs.stop(cluster.node(target));
          cluster.spawnNode(target, 0);
        };
      }
      case "brokerKill":
      case "brokerRestart": {
        const proc = cluster.broker(target);
        if (fault.kind === "brokerKill") {
          proc.signal("SIGKILL");
          await proc.exited;
        } else await cluster.procs.stop(proc);
        return async () => void cluster.spawnBroker(target);
      }
      case "partitionSymmetric":
      case "partitionOneWay":
      case "nodeCutFromBrokers":
      case "nodeCutFromPeers":
      case "packetLoss": {
        const action = fault.kind === "packetLoss" ? { kind: "loss" as const, probability: fault.params["probability"] as number } : { kind: "drop" as const };
        const nodes = await cluster.cut(fault.id, fault.links, action);
        return () => cluster.uncut(fault.id, nodes);
      }
      case "peerDelay": {
        const ms = fault.params["delayMs"] as number;
        await Promise.all(fault.links.map((link) => cluster.proxyCommand({ op: "delay", from: link.from, to: link.to, ms })));
        return async () => {
          await Promise.all(fault.links.map((link) => cluster.proxyCommand({ op: "delay", from: link.from, to: link.to, ms: 0 })));
          // Healed once the bytes queued behind the delay are out.
          await Promise.all(fault.links.map((link) => cluster.proxyCommand({ op: "drain", from: link.from, to: link.to })));
        };
      }
      case "kvDisk": {
        const dir = cluster.kvDir(target);
        if (fault.params["mode"] === "readOnly") {
          await cluster.inNodeMounts(target, `mount -o remount,ro '${dir}'`);
          return () => cluster.inNodeMounts(target, `mount -o remount,rw '${dir}'`);
        }
        // Fill the tmpfs; cat stops at ENOSPC, which is the point.
        await cluster.inNodeMounts(target, `cat /dev/zero > '${dir}/fill' 2>/dev/null; true`);
        return () => cluster.inNodeMounts(target, `rm -f '${dir}/fill'`);
      }
    }
  }

  private async sleepUntil(atMs: number): Promise<void> {
    const waitMs = atMs - this.cluster.nowMs();
    if (waitMs <= 0 || this.aborted) return;
    await new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => {
        this.timers.delete(entry);
        resolve();
      }, waitMs), resolve };
      this.timers.add(entry);
    });
  }
}
