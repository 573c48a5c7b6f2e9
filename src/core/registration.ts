// Pure helpers of the registration rules: a registration's header, and the equalities that
// decide whether a registration changes a broker instance's header or one of its topics.
import type { BrokerHeader, BrokerRegistration, TopicConfig } from "../model/types.js";

/** The header of a registration: everything but its topics. */
export function headerOf(registration: BrokerRegistration): BrokerHeader {
  const { topics: _topics, ...header } = registration;
  return header;
}

/** Whether two headers say the same (dataVersion included). */
export function sameHeader(a: BrokerHeader, b: BrokerHeader): boolean {
  return (
    a.clusterName === b.clusterName &&
    a.brokerAddr === b.brokerAddr &&
    a.brokerName === b.brokerName &&
    a.brokerId === b.brokerId &&
    a.haServerAddr === b.haServerAddr &&
    a.zoneName === b.zoneName &&
    a.enableActingMaster === b.enableActingMaster &&
    a.heartbeatTimeoutMs === b.heartbeatTimeoutMs &&
    a.dataVersion.timestamp === b.dataVersion.timestamp &&
    a.dataVersion.counter === b.dataVersion.counter &&
    a.dataVersion.stateVersion === b.dataVersion.stateVersion
  );
}

/** Whether two topic configs route alike (RocketMQ's QueueData equality, plus the order flag). */
export function sameTopicConfig(a: TopicConfig, b: TopicConfig): boolean {
  return (
    a.topicName === b.topicName &&
    a.readQueueNums === b.readQueueNums &&
    a.writeQueueNums === b.writeQueueNums &&
    a.perm === b.perm &&
    a.topicSysFlag === b.topicSysFlag &&
    a.order === b.order
  );
}
