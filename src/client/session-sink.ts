// Where Outbound and Inbound send packets on a live connection: PUBLISHes are checked
// against the limits in the server's CONNACK and get Topic Aliases, then go to the writer.
import { PacketType, ReasonCode } from '../protocol/constants.js';
import type { Packet, Properties, PublishPacket } from '../protocol/packets.js';
import { MqttClientError } from './errors.js';
import type { PacketSink } from './outbound.js';
import type { PacketWriter } from './packet-writer.js';
import { TopicAliases } from './topic-alias.js';

export class SessionSink implements PacketSink {
  #aliases = new TopicAliases(0);
  /** The CONNACK properties of the current connection. */
  #limits: Properties | undefined;

  constructor(private readonly writer: PacketWriter) {}

  /** A new connection: its CONNACK's limits apply, aliases start afresh. */
  reset(limits: Properties, topicAliasMaximum: number): void {
    this.#limits = limits;
    this.#aliases = new TopicAliases(topicAliasMaximum);
  }

  send(packet: Packet): void {
    if (packet.type !== PacketType.Publish) {
      this.writer.send(packet);
      return;
    }
    this.#checkServerLimits(packet);
    const wire = this.#aliases.apply(packet);
    try {
      this.writer.send(wire);
    } catch (error) {
      if (wire !== packet) this.#aliases.forget(packet.topic);
      throw error;
    }
  }

  #checkServerLimits(packet: PublishPacket): void {
    const props = this.#limits;
    if (!props) return;
    // [MQTT-3.2.2-11] never above the server's Maximum QoS.
    if (props.maximumQoS !== undefined && packet.qos > props.maximumQoS) {
      throw new MqttClientError('UNSUPPORTED', `The server's Maximum QoS is ${props.maximumQoS}`, {
        reasonCode: ReasonCode.QoSNotSupported,
      });
    }
    // [MQTT-3.2.2-14] no RETAIN when the server has Retain Available 0.
    if (packet.retain && props.retainAvailable === false) {
      throw new MqttClientError('UNSUPPORTED', 'The server does not support retained messages', {
        reasonCode: ReasonCode.RetainNotSupported,
      });
    }
  }
}
