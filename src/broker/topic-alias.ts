// Topic Aliases (MQTT 5.0 section 3.3.2.3.4), per connection and per direction.
import { ReasonCode } from '../protocol/constants.js';
import { MqttError, protocolError } from '../protocol/errors.js';

export interface OutboundAlias {
  alias: number;
  /** True once the client has seen the alias with its topic: later sends omit the topic. */
  known: boolean;
}

export class TopicAliases {
  // Made on first use: most clients never use aliases, and an empty Map costs ~300 bytes.
  private inbound: Map<number, string> | undefined;
  private outboundAliases: Map<string, OutboundAlias> | undefined;

  constructor(
    /** Our Topic Alias Maximum, announced in CONNACK. */
    private readonly inboundMaximum: number,
    /** The client's Topic Alias Maximum from CONNECT. */
    private readonly outboundMaximum: number,
  ) {}

  /** The topic a PUBLISH stands for, recording a new mapping when it carries both. */
  resolve(topic: string, alias: number | undefined): string {
    if (alias === undefined) return topic;
    // [MQTT-3.3.2-9] [MQTT-3.3.2-10] an alias must lie in 1..Topic Alias Maximum.
    if (alias === 0 || alias > this.inboundMaximum) {
      throw new MqttError(
        ReasonCode.TopicAliasInvalid,
        `Topic Alias ${alias} is out of range`,
        'MQTT-3.3.2-9',
      );
    }
    if (topic !== '') {
      (this.inbound ??= new Map()).set(alias, topic);
      return topic;
    }
    const known = this.inbound?.get(alias);
    if (known === undefined)
      throw protocolError(`Topic Alias ${alias} has no topic yet`, 'MQTT-3.3.4-1');
    return known;
  }

  /** The alias to send with a topic, assigning free ones first-come (no eviction). */
  outbound(topic: string): OutboundAlias | undefined {
    if (this.outboundMaximum === 0) return undefined;
    const aliases = (this.outboundAliases ??= new Map());
    const existing = aliases.get(topic);
    if (existing !== undefined) return existing;
    if (aliases.size >= this.outboundMaximum) return undefined;
    const entry: OutboundAlias = { alias: aliases.size + 1, known: false };
    aliases.set(topic, entry);
    return entry;
  }
}
