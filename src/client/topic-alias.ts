// Outbound Topic Aliases (5.0): the first PUBLISH to a topic carries the topic and an alias,
// later ones only the alias, saving the topic's bytes on every message.
import type { PublishPacket } from '../protocol/packets.js';

export class TopicAliases {
  readonly #byTopic = new Map<string, number>();
  /** Topics by alias, to evict the oldest mapping once every alias is taken. */
  readonly #byAlias: string[] = [];
  #nextEvict = 1;

  /**
   * [MQTT-3.2.2-17] [MQTT-3.3.2-9] aliases stay within the server's Topic Alias Maximum;
   * [MQTT-3.2.2-18] a maximum of 0 (or none sent) means no aliases at all.
   */
  constructor(private readonly maximum: number) {}

  /** Returns the packet to put on the wire; the caller's packet is never changed. */
  apply(packet: PublishPacket): PublishPacket {
    if (this.maximum === 0 || packet.properties.topicAlias !== undefined) return packet;
    const known = this.#byTopic.get(packet.topic);
    if (known !== undefined) {
      return { ...packet, topic: '', properties: { ...packet.properties, topicAlias: known } };
    }
    const alias = this.#assign(packet.topic);
    return { ...packet, properties: { ...packet.properties, topicAlias: alias } };
  }

  /** Drops a mapping whose establishing PUBLISH never left (it was refused before sending). */
  forget(topic: string): void {
    const alias = this.#byTopic.get(topic);
    if (alias === undefined) return;
    this.#byTopic.delete(topic);
    // Keep the slot taken but unknown, so it is re-established before any reuse.
    this.#byAlias[alias] = '';
  }

  #assign(topic: string): number {
    let alias: number;
    if (this.#byTopic.size < this.maximum) {
      alias = this.#byTopic.size + 1;
    } else {
      // Re-sending a topic with an alias in use re-maps that alias on the server.
      alias = this.#nextEvict;
      this.#nextEvict = alias === this.maximum ? 1 : alias + 1;
      this.#byTopic.delete(this.#byAlias[alias]!);
    }
    this.#byAlias[alias] = topic;
    this.#byTopic.set(topic, alias);
    return alias;
  }
}
