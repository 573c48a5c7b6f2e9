// The GET_ROUTEINFO_BY_TOPIC body of a core route, assembled from encoded parts. A route lists
// one BrokerData per broker name and one QueueData per broker name; the core shares both
// objects across every topic of a broker name (QueueData per queue shape), so each is written
// as JSON once per mode and a route's body is their concatenation: at 16 brokers per route a
// few microseconds instead of ~200 (profiled, 100,000 topics x 16 brokers). The result is
// byte for byte what encodeTopicRouteData writes (route_body.test.ts).
import type * as core from "../model/types.js";
import * as rm from "../protocol/remoting/index.js";
import { brokerDataToWire, routeToWire } from "./remoting_convert.js";

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
