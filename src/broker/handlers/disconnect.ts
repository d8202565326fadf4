// DISCONNECT from a client (MQTT 5.0 section 3.14) and PINGREQ (section 3.12).
import { PacketType, ReasonCode } from '../../protocol/constants.js';
import { protocolError } from '../../protocol/errors.js';
import type { DisconnectPacket, PingreqPacket } from '../../protocol/packets.js';
import type { Connection } from '../connection.js';

export function handleDisconnect(connection: Connection, packet: DisconnectPacket): undefined {
  const session = connection.session!;
  const expiry = packet.properties.sessionExpiryInterval;
  if (expiry !== undefined) {
    // A session that was to end on close cannot be extended now (5.0 section 3.14.2.2.2).
    if (session.expiryInterval === 0 && expiry !== 0)
      throw protocolError('Session Expiry Interval was 0 at CONNECT');
    session.expiryInterval = Math.min(expiry, connection.core.options.maxSessionExpiryInterval);
  }
  // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; 0x04 keeps it.
  connection.disconnectReason = packet.reasonCode;
  if (packet.reasonCode !== ReasonCode.DisconnectWithWillMessage) connection.will = undefined;
  connection.close();
  return undefined;
}

/** [MQTT-3.12.4-1] answer PINGREQ with PINGRESP. */
export function handlePingreq(connection: Connection, _packet: PingreqPacket): undefined {
  connection.send({ type: PacketType.Pingresp });
  return undefined;
}
