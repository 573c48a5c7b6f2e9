// Small formatting helpers shared by the views.

/** "850 ms", "4.2 s", "3 min", "2 h". */
export function duration(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Wall-clock time of day, hh:mm:ss.mmm. */
export function clock(ms: number): string {
  const date = new Date(ms);
  const pad = (value: number, width = 2): string => String(value).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Perm bits as RocketMQ's letters: "RW (6)". */
export function perm(value: number): string {
  return `${value & 4 ? "R" : "-"}${value & 2 ? "W" : "-"}${value & 1 ? "X" : ""} (${value})`;
}

/** The first characters of a hash. */
export function short(hash: string, chars = 8): string {
  return hash.slice(0, chars);
}

/** "DefaultCluster@127.0.0.1:10911" -> "127.0.0.1:10911". */
export function brokerAddrOf(brokerKey: string): string {
  const at = brokerKey.indexOf("@");
  return at < 0 ? brokerKey : brokerKey.slice(at + 1);
}
