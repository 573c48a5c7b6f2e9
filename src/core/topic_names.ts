// The topic names and configs a node's topic records share. A registration's topics arrive as
// strings cut out of its decoded body (a slice keeps the whole body alive) and as one config
// object per broker and topic; 1,000 brokers with 1,600 topics each would keep 1,000 bodies and
// 1.6 million configs. Stored records instead point at one flat copy of each name, one config
// per name and shape, and one dataVersion and stamp per batch. Pure.
import { compareDataVersion, compareStamp, type Stamp, type TopicRecord } from "../model/records.js";
import type { DataVersion, TopicConfig } from "../model/types.js";
import { sameTopicConfig } from "./registration.js";

/** One topic name as records share it, with how many stored records use it. */
interface SharedTopic {
  readonly name: string;
  /** The config the latest record of this name carried (records with another shape keep theirs). */
  config: TopicConfig | null;
  refs: number;
}

/**
 * Shared topic names and configs, counted by the records that use them: a name leaves when its
 * last record does, so the table is bounded by the node's topic records (TOPIC_RECORDS_MAX).
 */
export class TopicNames {
  private readonly shared = new Map<string, SharedTopic>();
  /** The last dataVersion and stamp seen: a registration or a peer's batch repeats them per topic. */
  private lastDataVersion: DataVersion | null = null;
  private lastStamp: Stamp | null = null;

  /** Names held. */
  get size(): number {
    return this.shared.size;
  }

  /**
   * The record to store for `record` of broker `brokerKey` (the entry's own key string): the same
   * fields, pointing at the shared name, config, dataVersion and stamp. `added`: the record is a
   * new (broker, topic) pair, so the name gains a user.
   */
  share(record: TopicRecord, brokerKey: string, added: boolean): TopicRecord {
    let topic = this.shared.get(record.topicName);
    if (!topic) {
      topic = { name: flatCopy(record.topicName), config: null, refs: 0 };
      this.shared.set(topic.name, topic);
    }
    if (added) topic.refs += 1;
    let config = record.config;
    if (config !== null) {
      if (topic.config !== null && sameTopicConfig(topic.config, config)) config = topic.config;
      else topic.config = config = { ...config, topicName: topic.name };
    }
    return {
      type: "topic",
      brokerKey,
      topicName: topic.name,
      session: record.session,
      dataVersion: this.dataVersion(record.dataVersion),
      config,
      stamp: this.stamp(record.stamp),
    };
  }

  /** A stored record of this name is gone. */
  release(topicName: string): void {
    const topic = this.shared.get(topicName);
    if (!topic) return;
    topic.refs -= 1;
    if (topic.refs <= 0) this.shared.delete(topicName);
  }

  private dataVersion(version: DataVersion): DataVersion {
    const last = this.lastDataVersion;
    if (last !== null && compareDataVersion(last, version) === 0) return last;
    this.lastDataVersion = version;
    return version;
  }

  private stamp(stamp: Stamp): Stamp {
    const last = this.lastStamp;
    if (last !== null && compareStamp(last, stamp) === 0) return last;
    this.lastStamp = stamp;
    return stamp;
  }
}

/**
 * A copy of `text` that shares no memory with the string it was cut from. V8 makes a substring
 * of 13 or more characters a view into its parent; JSON's round trip builds a fresh string.
 */
function flatCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
