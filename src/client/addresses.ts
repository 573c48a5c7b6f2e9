// Name server address lists: "host:port" entries separated by ',' or ';' (RocketMQ's
// namesrvAddr uses ';'). Pure.
import { InvalidArgumentError } from "../errors.js";
import { checkAddr } from "../protocol/validate.js";
import { NAME_SERVERS_MAX } from "./client_limits.js";

/**
 * Splits and checks an address list. Blank entries are ignored, duplicates removed, order
 * kept. Throws InvalidArgumentError naming `field` and the bad entry.
 */
export function parseNameServers(text: string, field = "nameServers"): string[] {
  const entries = text
    .split(/[,;]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  return checkNameServers(entries, field);
}

/** Checks a list of "host:port" entries: 1..NAME_SERVERS_MAX valid, distinct addresses. */
export function checkNameServers(entries: readonly string[], field = "nameServers"): string[] {
  if (entries.length === 0) throw InvalidArgumentError.format(field, "must list at least one host:port", entries.join(","));
  const unique = [...new Set(entries)];
  if (unique.length > NAME_SERVERS_MAX) {
    throw InvalidArgumentError.format(field, `must list at most ${NAME_SERVERS_MAX} addresses`, `${unique.length} addresses`);
  }
  for (const entry of unique) checkAddr(field, entry);
  return unique;
}
