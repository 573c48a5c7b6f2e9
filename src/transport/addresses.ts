// Address literals: whether a host string is an IP address, as node:net judges it. The one
// place outside the socket code that needs node:net, so it lives with the transport.
import { isIP, isIPv4 } from "node:net";

/** 4 or 6 for an IPv4 or IPv6 literal, 0 for anything else (a DNS name). */
export function ipVersionOf(host: string): 0 | 4 | 6 {
  return isIP(host) as 0 | 4 | 6;
}

/** Whether a host string is an IPv4 literal. */
export function isIpv4Literal(host: string): boolean {
  return isIPv4(host);
}
