// PUBACK, PUBREC, PUBREL and PUBCOMP from a client (MQTT 5.0 sections 3.4 to 3.7, 4.3).
import { PacketType, ReasonCode } from '../../protocol/constants.js';
import {
  NO_PROPERTIES,
  type PubackPacket,
  type PubcompPacket,
  type PubrecPacket,
  type PubrelPacket,
} from '../../protocol/packets.js';
import type { Connection } from '../connection.js';

/** QoS 1 done [MQTT-4.3.2-5]; an unknown id is ignored. */
export function handlePuback(connection: Connection, packet: PubackPacket): undefined {
  connection.session!.complete(packet.packetId, true);
  return undefined;
}

/** QoS 2 step 2: answer PUBREL [MQTT-4.3.3-4], or end the flow on an error code. */
export function handlePubrec(connection: Connection, packet: PubrecPacket): undefined {
  const session = connection.session!;
  if (packet.reasonCode >= ReasonCode.UnspecifiedError) {
    session.complete(packet.packetId);
    return undefined;
  }
  // The PUBREL goes once the store knows the PUBLISH is released: a restart (or another
  // cluster node) must then send PUBREL again, never the PUBLISH [MQTT-4.3.3-5].
  const writesBefore = connection.core.storeWrites;
  const known = session.released(packet.packetId);
  connection.core.acknowledge(
    connection,
    reply(PacketType.Pubrel, packet.packetId, known),
    writesBefore,
  );
  return undefined;
}

/** QoS 2 step 3 from a publisher: forget the id, answer PUBCOMP [MQTT-4.3.3-11]. */
export function handlePubrel(connection: Connection, packet: PubrelPacket): undefined {
  const session = connection.session!;
  const known = session.incomingQos2.delete(packet.packetId);
  if (known && session.persistent)
    connection.core.sessionStore.deleteIncomingQos2(connection.clientId, packet.packetId);
  answer(connection, PacketType.Pubcomp, packet.packetId, known);
  return undefined;
}

export function handlePubcomp(connection: Connection, packet: PubcompPacket): undefined {
  connection.session!.complete(packet.packetId, true);
  return undefined;
}

/** PUBREL or PUBCOMP for a packet id; 0x92 when the flow was not known. */
function answer(
  connection: Connection,
  type: typeof PacketType.Pubrel | typeof PacketType.Pubcomp,
  packetId: number,
  known: boolean,
): void {
  connection.send(reply(type, packetId, known));
}

function reply(
  type: typeof PacketType.Pubrel | typeof PacketType.Pubcomp,
  packetId: number,
  known: boolean,
) {
  const reasonCode = known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound;
  return { type, packetId, reasonCode, properties: NO_PROPERTIES };
}
