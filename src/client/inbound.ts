// Inbound PUBLISH handling: acknowledgements per QoS, QoS 2 duplicate suppression until
// PUBREL, and the server's Topic Aliases.
import { PacketType, ReasonCode } from '../protocol/constants.js';
import { MqttError } from '../protocol/errors.js';
import { NO_PROPERTIES, type PublishPacket, type PubrelPacket } from '../protocol/packets.js';
import type { PacketSink } from './outbound.js';

export class Inbound {
  /** Packet identifiers of QoS 2 PUBLISHes delivered and awaiting PUBREL. */
  readonly #awaitingRelease = new Set<number>();
  readonly #aliases = new Map<number, string>();

  /** The Topic Alias Maximum this client sent in CONNECT (0: none accepted). */
  constructor(private readonly topicAliasMaximum: number) {}

  /** A new connection: aliases never outlive it; QoS 2 state only with the session. */
  reset(sessionPresent: boolean): void {
    this.#aliases.clear();
    // [MQTT-3.2.2-5] without a session present the old session state is discarded.
    if (!sessionPresent) this.#awaitingRelease.clear();
  }

  /**
   * Delivers the message (unless it is a QoS 2 duplicate) and acknowledges it afterwards:
   * [MQTT-4.5.0-2] every PUBLISH is acknowledged, and [MQTT-4.6.0-2] [MQTT-4.6.0-3] in the
   * order they arrived, which answering synchronously guarantees.
   */
  onPublish(packet: PublishPacket, sink: PacketSink, deliver: (message: PublishPacket) => void) {
    this.#resolveAlias(packet);
    if (packet.qos === 0) {
      deliver(packet);
    } else if (packet.qos === 1) {
      deliver(packet);
      sink.send(ack(PacketType.Puback, packet.packetId!));
    } else {
      if (!this.#awaitingRelease.has(packet.packetId!)) {
        this.#awaitingRelease.add(packet.packetId!);
        deliver(packet);
      }
      sink.send(ack(PacketType.Pubrec, packet.packetId!));
    }
  }

  onPubrel(packet: PubrelPacket, sink: PacketSink): void {
    const known = this.#awaitingRelease.delete(packet.packetId);
    const reasonCode = known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound;
    sink.send({
      type: PacketType.Pubcomp,
      packetId: packet.packetId,
      reasonCode,
      properties: NO_PROPERTIES,
    });
  }

  /** [MQTT-3.3.2-10] aliases from 1 up to the maximum this client sent are accepted. */
  #resolveAlias(packet: PublishPacket): void {
    const alias = packet.properties.topicAlias;
    if (alias === undefined) return;
    if (alias < 1 || alias > this.topicAliasMaximum) {
      throw new MqttError(
        ReasonCode.TopicAliasInvalid,
        `Topic Alias ${alias} out of range`,
        'MQTT-3.3.2-10',
      );
    }
    if (packet.topic.length > 0) {
      this.#aliases.set(alias, packet.topic);
      return;
    }
    const topic = this.#aliases.get(alias);
    if (topic === undefined) {
      throw new MqttError(ReasonCode.ProtocolError, `Topic Alias ${alias} was never set`);
    }
    packet.topic = topic;
  }
}

const ack = (type: typeof PacketType.Puback | typeof PacketType.Pubrec, packetId: number) => ({
  type,
  packetId,
  reasonCode: ReasonCode.Success,
  properties: NO_PROPERTIES,
});
