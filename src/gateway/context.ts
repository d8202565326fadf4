// What a gateway client needs of its gateway: options, topic tables, counters, the broker and
// the UDP socket. One per listener.
import type { Broker } from '../broker/broker.js';
import type { BrokerStats, SnDropReason } from '../broker/stats.js';
import { validateTopicName } from '../topic/index.js';
import { encodeSn, type PublishPacket, type SnPacket } from '../mqttsn/index.js';
import type { SnClient } from './client.js';
import type { GatewayOptions } from './options.js';
import { resolveTopic } from './topics.js';

/** A UDP peer: an IP address and a port. */
export interface SnAddress {
  readonly host: string;
  readonly port: number;
  /** "host|port": the key of the gateway's maps. */
  readonly key: string;
}

export interface Datagrams {
  send(datagram: Buffer, port: number, host: string): void;
}

/** The pre-defined topic ids of the configuration, both ways (MQTT-SN 6.8). */
export class PredefinedTopics {
  private readonly byId = new Map<number, string>();
  private readonly byName = new Map<string, number>();

  constructor(table: Record<number, string>) {
    for (const [id, name] of Object.entries(table)) {
      this.byId.set(Number(id), name);
      this.byName.set(name, Number(id));
    }
  }

  nameOf(id: number): string | undefined {
    return this.byId.get(id);
  }

  idOf(name: string): number | undefined {
    return this.byName.get(name);
  }
}

export class GatewayContext {
  readonly predefined: PredefinedTopics;

  constructor(
    readonly broker: Broker,
    readonly options: GatewayOptions,
    readonly socket: Datagrams,
  ) {
    this.predefined = new PredefinedTopics(options.predefinedTopics);
  }

  get stats(): BrokerStats['mqttsn'] {
    return this.broker.core.stats.mqttsn;
  }

  now(): number {
    return this.broker.core.now();
  }

  transmit(to: SnAddress, packet: SnPacket) {
    this.stats.datagramsSent++;
    this.socket.send(encodeSn(packet), to.port, to.host);
  }

  /** Set by the gateway: a client ended, forget its address. */
  clientGone: (client: SnClient) => void = () => {};

  drop(reason: SnDropReason) {
    this.stats.dropped[reason]++;
  }

  /**
   * 6.8: PUBLISH with QoS −1, from anyone, on a pre-defined topic id or a short topic name;
   * the gateway publishes it as itself, at QoS 0.
   */
  publishConnectionless(p: PublishPacket) {
    if (!this.options.allowQosMinusOne) return this.drop('unexpected');
    // Without a connection there are no registered ids: pre-defined ids and short names only.
    const topic = resolveTopic(
      undefined,
      (id) => this.predefined.nameOf(id),
      p.topicIdType,
      p.topicId,
    );
    if (topic === undefined || validateTopicName(topic) !== undefined)
      return this.drop('invalidTopic');
    this.broker.publish(topic, Buffer.from(p.data), { qos: 0, retain: p.retain });
  }
}
