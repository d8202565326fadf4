// Topic names as MQTT-SN carries them: registered ids, pre-defined ids, short names.
import { shortTopicName, TopicIdType } from '../mqttsn/index.js';
import type { TopicRegistry } from './registry.js';

/** A short topic name: exactly two characters of one octet each (MQTT-SN 3, 5.3.11). */
export function isShortName(topic: string): boolean {
  return topic.length === 2 && topic.charCodeAt(0) < 0x100 && topic.charCodeAt(1) < 0x100;
}

/** The topic name a PUBLISH's TopicIdType and TopicId stand for (6.7, 6.8). */
export function resolveTopic(
  registry: TopicRegistry | undefined,
  predefined: (id: number) => string | undefined,
  topicIdType: number,
  topicId: number,
): string | undefined {
  if (topicIdType === TopicIdType.Predefined) return predefined(topicId);
  if (topicIdType === TopicIdType.Short) return shortTopicName(topicId);
  return registry?.nameOf(topicId);
}
