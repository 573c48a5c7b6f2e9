// Goal: a route body assembled from kept parts is byte for byte the body the codec writes for
// the same route, in both JSON modes, whatever the names (non-ASCII, '/', quotes), zones,
// broker ids and queue shapes, and parts kept for shared frozen objects are reused correctly
// across routes. Method: fast-check over generated routes, frozen as the core hands them out.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BrokerData, QueueData, TopicRouteData } from "../model/types.js";
import * as rm from "../protocol/remoting/index.js";
import { routeToWire } from "./remoting_convert.js";
import { RouteBodies, encodeRouteBody } from "./route_body.js";

const name = fc.oneof(fc.constantFrom("broker-a", "b/1", 'q"uote', "z\u00e9\u4e2d", "DefaultCluster"), fc.string({ maxLength: 6 }));

const brokerData: fc.Arbitrary<BrokerData> = fc
  .record({
    cluster: name,
    brokerName: name,
    ids: fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 3 }),
    enableActingMaster: fc.boolean(),
    zoneName: fc.option(name, { nil: undefined }),
  })
  .map(({ ids, zoneName, ...rest }) => ({
    ...rest,
    brokerAddrs: Object.fromEntries(ids.map((id) => [String(id), `10.0.0.${id}:10911`])),
    ...(zoneName === undefined ? {} : { zoneName }),
  }));

const queueData: fc.Arbitrary<QueueData> = fc.record({
  brokerName: name,
  readQueueNums: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  writeQueueNums: fc.integer({ min: 0, max: 1024 }),
  perm: fc.integer({ min: 0, max: 15 }),
  topicSysFlag: fc.integer({ min: 0, max: 3 }),
});

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe("route body", () => {
  it("route body: assembled from parts equals the codec's encoding, both modes, shared parts reused", () => {
    fc.assert(
      fc.property(fc.array(brokerData, { maxLength: 5 }), fc.array(queueData, { maxLength: 5 }), fc.boolean(), (brokers, queues, frozen) => {
        // Two routes over the same shared objects, as the core builds routes of one broker name.
        const routes: TopicRouteData[] = [
          { queueDatas: queues, brokerDatas: brokers, filterServerTable: {} },
          { queueDatas: [...queues].reverse(), brokerDatas: [...brokers].reverse(), filterServerTable: {} },
        ];
        for (const route of frozen ? routes.map(deepFreeze) : routes) {
          for (const mode of ["legacy", "standard"] as const) {
            expect(encodeRouteBody(route, mode).toString("utf8")).toBe(rm.encodeTopicRouteData(routeToWire(route), mode).toString("utf8"));
          }
        }
      }),
    );
  });

  it("route body: a route with an order conf or filter servers is written by the codec whole", () => {
    const broker: BrokerData = { cluster: "C", brokerName: "b", brokerAddrs: { "0": "10.0.0.1:10911" }, enableActingMaster: false };
    const queue: QueueData = { brokerName: "b", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 };
    const withConf: TopicRouteData = { queueDatas: [queue], brokerDatas: [broker], filterServerTable: {}, orderTopicConf: "b:8" };
    const withFilters: TopicRouteData = { queueDatas: [queue], brokerDatas: [broker], filterServerTable: { "10.0.0.1:10911": ["10.0.0.9:1"] } };
    for (const route of [withConf, withFilters]) {
      expect(encodeRouteBody(route, "standard").equals(rm.encodeTopicRouteData(routeToWire(route), "standard"))).toBe(true);
    }
  });

  it("route body: kept bodies stay within their byte bound; an evicted route is assembled again, the same bytes", () => {
    const routeOf = (index: number): TopicRouteData =>
      deepFreeze({
        queueDatas: [{ brokerName: `b${index}`, readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 }],
        brokerDatas: [{ cluster: "C", brokerName: `b${index}`, brokerAddrs: { "0": `10.0.0.${index % 250}:10911` }, enableActingMaster: false }],
        filterServerTable: {},
      });
    const routes = Array.from({ length: 200 }, (_, index) => routeOf(index));
    const size = encodeRouteBody(routes[0] as TopicRouteData, "standard").length;
    const bodies = new RouteBodies(20 * size);
    const first = bodies.bodyOf(routes[0] as TopicRouteData, "standard");
    expect(bodies.bodyOf(routes[0] as TopicRouteData, "standard")).toBe(first);
    for (const route of routes) {
      bodies.bodyOf(route, "standard");
      bodies.bodyOf(route, "legacy");
      expect(bodies.keptBytes).toBeLessThanOrEqual(20 * size);
    }
    const again = bodies.bodyOf(routes[0] as TopicRouteData, "standard");
    expect(again).not.toBe(first);
    expect(again.equals(first)).toBe(true);
    expect(again.equals(rm.encodeTopicRouteData(routeToWire(routes[0] as TopicRouteData), "standard"))).toBe(true);
  });
});
