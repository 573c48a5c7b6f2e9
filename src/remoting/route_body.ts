// The GET_ROUTEINFO_BY_TOPIC body of a core route, assembled from encoded parts. A route lists
// one BrokerData per broker name and one QueueData per broker name; the core shares both
// objects across every topic of a broker name (QueueData per queue shape), so each is written
// as JSON once per mode and a route's body is their concatenation: at 16 brokers per route a
// few microseconds instead of ~200 (profiled, 100,000 topics x 16 brokers). The result is
// byte for byte what encodeTopicRouteData writes (route_body.test.ts). Bodies of frozen routes
// are kept, within a byte bound.
import type * as core from "../model/types.js";
import * as rm from "../protocol/remoting/index.js";
import { brokerDataToWire, routeToWire } from "./remoting_convert.js";

/**
 * Bytes of route bodies kept. A client asking every route of 100,000 topics at width 16
 * (3.7 KB each; the RocketMQ Dashboard does, once a minute) would otherwise keep ~370 MiB;
 * past the bound the oldest kept bodies go, first in first out, and are assembled again when
 * asked (~20 us). 64 MiB keeps ~17,000 such routes, or ~60,000 of the smoke shape's 1 KB.
 */
export const ROUTE_BODY_BYTES_KEPT_MAX = 64 * 1024 * 1024;

/** Bodies of frozen routes (the core hands out one until it changes), per JSON mode, bounded in bytes. */
export class RouteBodies {
  private readonly kept = new Map<core.TopicRouteData, Partial<Record<rm.JsonMode, Buffer>>>();
  private bytes = 0;

  constructor(private readonly bytesMax = ROUTE_BODY_BYTES_KEPT_MAX) {}

  /** Bytes of the bodies kept now. */
  get keptBytes(): number {
    return this.bytes;
  }

  /** The body of a frozen route, kept or assembled (and kept). */
  bodyOf(route: core.TopicRouteData, mode: rm.JsonMode): Buffer {
    let byMode = this.kept.get(route);
    const found = byMode?.[mode];
    if (found) return found;
    const body = ownBuffer(encodeRouteBody(route, mode));
    if (!byMode) this.kept.set(route, (byMode = {}));
    byMode[mode] = body;
    this.bytes += body.length;
    for (const [oldest, bodies] of this.kept) {
      if (this.bytes <= this.bytesMax) break;
      this.kept.delete(oldest);
      for (const kept of Object.values(bodies)) this.bytes -= kept.length;
    }
    return body;
  }
}

/** Encoded parts by the shared object they encode, per mode; weak, so they go with it. */
const brokerParts = new WeakMap<core.BrokerData, Partial<Record<rm.JsonMode, string>>>();
const queueParts = new WeakMap<core.QueueData, Partial<Record<rm.JsonMode, string>>>();

/** The body of a route answer, as rm.encodeTopicRouteData(routeToWire(route), mode) writes it. */
export function encodeRouteBody(route: core.TopicRouteData, mode: rm.JsonMode): Buffer {
  // Only the shape routes have: fields written in this order, no order conf, no filter servers.
  if (route.orderTopicConf !== undefined || Object.keys(route.filterServerTable).length > 0) {
    return rm.encodeTopicRouteData(routeToWire(route), mode);
  }
  const parts: string[] = ['{"brokerDatas":['];
  route.brokerDatas.forEach((data, index) => {
    if (index > 0) parts.push(",");
    parts.push(partOf(brokerParts, data, mode, () => rm.brokerDataToJson(brokerDataToWire(data))));
  });
  parts.push('],"filterServerTable":{},"queueDatas":[');
  route.queueDatas.forEach((queue, index) => {
    if (index > 0) parts.push(",");
    parts.push(partOf(queueParts, queue, mode, () => rm.queueDataToJson(queue)));
  });
  parts.push("]}");
  return Buffer.from(parts.join(""), "utf8");
}

/** The JSON of `value`, kept for it when it is frozen (a mutable object could change under its key). */
function partOf<T extends object>(cache: WeakMap<T, Partial<Record<rm.JsonMode, string>>>, value: T, mode: rm.JsonMode, json: () => rm.JsonOut): string {
  if (!Object.isFrozen(value)) return rm.writeJson(json(), mode);
  let byMode = cache.get(value);
  if (!byMode) cache.set(value, (byMode = {}));
  return (byMode[mode] ??= rm.writeJson(json(), mode));
}

/**
 * A kept body in memory of its own. A small Buffer is a view into an 8 KiB pool slab that
 * other, short-lived buffers share; kept, it keeps the whole slab (measured: 8,192 kept
 * routes of 1 KiB held 22 MiB of slabs).
 */
function ownBuffer(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  const own = Buffer.allocUnsafeSlow(body.length);
  body.copy(own);
  return own;
}
