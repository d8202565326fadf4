// PUBLISH packets from the arguments of publish(): the Topic Name checked, defaults filled.
import { PacketType } from '../protocol/constants.js';
import { NO_PROPERTIES, type PublishPacket } from '../protocol/packets.js';
import { validateTopicName } from '../topic/validate.js';
import { invalidArgument } from './errors.js';
import { type PublishOptions, toBytes } from './types.js';

export class PublishBuilder {
  /** The last Topic Name found valid: publishers mostly repeat one, so it is checked once. */
  #validTopic: string | undefined;

  /** Throws INVALID_ARGUMENT for a Topic Name the broker would refuse. */
  build(topic: string, payload: string | Uint8Array | undefined, options: PublishOptions) {
    const properties = options.properties ?? NO_PROPERTIES;
    // 5.0: an empty Topic Name stands for the Topic Alias (3.3.2.3.4).
    if (topic !== this.#validTopic && (topic.length > 0 || properties.topicAlias === undefined)) {
      const invalid = validateTopicName(topic);
      if (invalid) throw invalidArgument(invalid.message, invalid.reasonCode);
      this.#validTopic = topic;
    }
    const packet: PublishPacket = {
      type: PacketType.Publish,
      topic,
      payload: toBytes(payload),
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: false,
      packetId: undefined,
      properties,
    };
    return packet;
  }
}
