// Goal: registrations from REGISTER_BROKER are validated field by field, and core shapes convert
// to the codec's integer-keyed maps. Method: pure calls on hand-built requests; one bad field each.
import { describe, expect, it } from "vitest";
import { localConfig } from "../config/config.js";
import { InvalidArgumentError } from "../errors.js";
import type { RegisterBrokerRequest, TopicConfig } from "../protocol/remoting/index.js";
import { NamesrvProperties, initialNamesrvProperties } from "./namesrv_properties.js";
import { brokerDataToWire, registrationOf } from "./remoting_convert.js";

function topic(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return { topicName: "T", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: true, attributes: new Map(), ...overrides };
}

function request(header: Partial<RegisterBrokerRequest["header"]> = {}, topics: TopicConfig[] = [topic()]): RegisterBrokerRequest {
  return {
    kind: "registerBroker",
    header: { brokerName: "b", brokerAddr: "10.0.0.1:10911", clusterName: "C", haServerAddr: "10.0.0.1:10912", brokerId: 0, compressed: false, bodyCrc32: 0, ...header },
    body: {
      topicConfigSerializeWrapper: {
        topicConfigTable: new Map(topics.map((t) => [t.topicName, t])),
        dataVersion: { counter: 3, stateVersion: 1, timestamp: 99 },
        topicQueueMappingInfoMap: new Map(),
      },
    },
  };
}

describe("remoting_convert", () => {
  it("remoting_convert: builds the core registration from header and body", () => {
    const { registration, skipped } = registrationOf(request({ zoneName: "z1", enableActingMaster: true, heartbeatTimeoutMillis: 10_000 }));
    expect(skipped).toEqual([]);
    expect(registration).toEqual({
      clusterName: "C",
      brokerAddr: "10.0.0.1:10911",
      brokerName: "b",
      brokerId: 0,
      haServerAddr: "10.0.0.1:10912",
      zoneName: "z1",
      enableActingMaster: true,
      heartbeatTimeoutMs: 10_000,
      dataVersion: { counter: 3, stateVersion: 1, timestamp: 99 },
      topics: [{ topicName: "T", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0, order: true }],
    });
    expect(registrationOf(request()).registration.heartbeatTimeoutMs).toBeNull();
    expect(registrationOf(request()).registration.enableActingMaster).toBe(false);
  });

  it.each([
    ["brokerAddr", request({ brokerAddr: "nohost" })],
    ["brokerName", request({ brokerName: "a b" })],
    ["brokerId", request({ brokerId: -1 })],
    ["heartbeatTimeoutMillis", request({ heartbeatTimeoutMillis: 499 })],
    ["heartbeatTimeoutMillis", request({ heartbeatTimeoutMillis: 3_600_001 })],
  ])("remoting_convert: rejects a bad %s naming the field", (field, bad) => {
    expect(() => registrationOf(bad)).toThrow(InvalidArgumentError);
    expect(() => registrationOf(bad)).toThrow(field);
  });

  it.each([
    ["readQueueNums", topic({ topicName: "bad", readQueueNums: -1 })],
    ["topicSysFlag", topic({ topicName: "bad", topicSysFlag: -1 })],
    ["perm", topic({ topicName: "bad", perm: 16 })],
    ["topicName", topic({ topicName: "x".repeat(513) })],
    ["topicName", topic({ topicName: "tab\there" })],
  ])("remoting_convert: skips a topic with a bad %s and keeps the rest", (field, bad) => {
    const { registration, skipped } = registrationOf(request({}, [topic({ topicName: "good" }), bad]));
    expect(registration.topics.map((t) => t.topicName)).toEqual(["good"]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.reason).toBe("malformed");
    expect(skipped[0]?.count).toBe(1);
    expect(skipped[0]?.example).toContain(field);
  });

  it("remoting_convert: takes what the Java NameServer takes: many queues, priority perm, retry names", () => {
    const odd = [
      topic({ topicName: "wide", readQueueNums: 4096, writeQueueNums: 4096 }),
      topic({ topicName: "prio", perm: 14 }),
      topic({ topicName: "%RETRY%group+topic" }),
      topic({ topicName: "x".repeat(300) }),
    ];
    const { registration, skipped } = registrationOf(request({}, odd));
    expect(skipped).toEqual([]);
    expect(registration.topics.map((t) => t.topicName)).toEqual(["wide", "prio", "%RETRY%group+topic", "x".repeat(300)]);
  });

  it("remoting_convert: broker ids become integer keys", () => {
    const wire = brokerDataToWire({ cluster: "C", brokerName: "b", brokerAddrs: { "0": "a:1", "2": "b:1" }, enableActingMaster: false });
    expect(wire.brokerAddrs).toEqual(new Map([[0, "a:1"], [2, "b:1"]]));
    expect(wire.zoneName).toBeUndefined();
  });
});

describe("namesrv_properties", () => {
  it("namesrv_properties: merges known keys only, refuses the black list, reports sorted", () => {
    const properties = new NamesrvProperties(initialNamesrvProperties(localConfig(), 1234));
    expect(properties.snapshot().get("listenPort")).toBe("1234");
    expect(properties.update(new Map([["rocketmqHome", "/x"]])).response.code).toBe(16);
    const { response, changed } = properties.update(new Map([["enableTopicList", "FALSE"], ["madeUp", "1"]]));
    expect(response.code).toBe(0);
    expect(changed).toEqual(["enableTopicList"]);
    expect(properties.flag("enableTopicList", true)).toBe(false);
    expect(properties.snapshot().has("madeUp")).toBe(false);
    const keys = [...properties.snapshot().keys()];
    expect(keys).toEqual([...keys].sort());
  });
});
