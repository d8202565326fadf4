// Broker → client: what the broker writes on a client's MQTT 5.0 connection, as MQTT-SN.
// Packet Identifiers are MsgIds unchanged, so acknowledgements map one to one.
import { PacketType } from '../protocol/constants.js';
import type { Packet } from '../protocol/packets.js';
import { SnMsgType as M, SnReturnCode } from '../mqttsn/index.js';
import { GATEWAY_REFUSALS, type SnClient } from './client.js';

/** A refusal reason code (≥ 0x80) as an MQTT-SN ReturnCode (5.3.10). */
function returnCodeOf(reasonCode: number): SnReturnCode {
  if (reasonCode < 0x80) return SnReturnCode.Accepted;
  return GATEWAY_REFUSALS[reasonCode] ?? SnReturnCode.NotSupported;
}

export function fromBroker(client: SnClient, packet: Packet): void {
  switch (packet.type) {
    case PacketType.Connack: {
      if (packet.reasonCode >= 0x80) {
        client.refuse(returnCodeOf(packet.reasonCode));
        return;
      }
      client.inflightLimit = packet.properties.receiveMaximum ?? 65535;
      client.activate(client.duration);
      return;
    }
    case PacketType.Publish:
      client.enqueue({
        kind: 'publish',
        topic: packet.topic,
        // A view into the broker's batch would keep the whole batch alive while asleep.
        payload: Buffer.from(packet.payload),
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        msgId: packet.packetId ?? 0,
      });
      return;
    case PacketType.Puback: {
      const topicId = client.inflight.get(packet.packetId) ?? 0;
      client.inflight.delete(packet.packetId);
      const returnCode = returnCodeOf(packet.reasonCode);
      client.enqueue({
        kind: 'packet',
        packet: { type: M.Puback, topicId, msgId: packet.packetId, returnCode },
      });
      return;
    }
    case PacketType.Pubrec:
      if (packet.reasonCode >= 0x80) client.inflight.delete(packet.packetId);
      client.enqueue({ kind: 'packet', packet: { type: M.Pubrec, msgId: packet.packetId } });
      return;
    case PacketType.Pubcomp:
      client.inflight.delete(packet.packetId);
      client.enqueue({ kind: 'packet', packet: { type: M.Pubcomp, msgId: packet.packetId } });
      return;
    case PacketType.Pubrel:
      if (client.outbox.completeDropped(packet.packetId)) return;
      client.enqueue({ kind: 'packet', packet: { type: M.Pubrel, msgId: packet.packetId } });
      return;
    case PacketType.Suback: {
      const topicId = client.subscribing.get(packet.packetId) ?? 0;
      client.subscribing.delete(packet.packetId);
      const granted = packet.reasonCodes[0] ?? 0x80;
      const returnCode = returnCodeOf(granted);
      const qos = returnCode === SnReturnCode.Accepted ? (granted as 0 | 1 | 2) : 0;
      client.enqueue({
        kind: 'packet',
        packet: { type: M.Suback, qos, topicId, msgId: packet.packetId, returnCode },
      });
      return;
    }
    case PacketType.Unsuback:
      client.enqueue({ kind: 'packet', packet: { type: M.Unsuback, msgId: packet.packetId } });
      return;
    case PacketType.Disconnect:
      // Kicked, taken over or shut down: the close that follows tells the client.
      return;
    default:
      // PINGRESP (the gateway answers PINGREQ itself), AUTH: nothing for the client.
      return;
  }
}
