// The dispatch table: one handler per inbound packet type.
import { PacketType } from '../../protocol/constants.js';
import { protocolError } from '../../protocol/errors.js';
import type { Packet, PacketOf } from '../../protocol/packets.js';
import type { Connection } from '../connection.js';
import { handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './acknowledgements.js';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { handleDisconnect, handlePingreq } from './disconnect.js';
import { handlePublish } from './publish.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

type Handler<T extends PacketType> = (
  connection: Connection,
  packet: PacketOf<T>,
) => Promise<void> | undefined;

/** Packets only a server sends: receiving one is a Protocol Error. */
const serverOnly = (_connection: Connection, packet: Packet): undefined => {
  throw protocolError(`a client may not send packet type ${packet.type}`);
};

const handlers = {
  [PacketType.Connect]: handleConnect,
  [PacketType.Connack]: serverOnly,
  [PacketType.Publish]: handlePublish,
  [PacketType.Puback]: handlePuback,
  [PacketType.Pubrec]: handlePubrec,
  [PacketType.Pubrel]: handlePubrel,
  [PacketType.Pubcomp]: handlePubcomp,
  [PacketType.Subscribe]: handleSubscribe,
  [PacketType.Suback]: serverOnly,
  [PacketType.Unsubscribe]: handleUnsubscribe,
  [PacketType.Unsuback]: serverOnly,
  [PacketType.Pingreq]: handlePingreq,
  [PacketType.Pingresp]: serverOnly,
  [PacketType.Disconnect]: handleDisconnect,
  [PacketType.Auth]: handleAuth,
} satisfies { [T in PacketType]: Handler<T> };

export function dispatch(connection: Connection, packet: Packet): Promise<void> | undefined {
  const state = connection.state;
  if (state !== 'connected') {
    // [MQTT-3.1.0-1] the first packet must be CONNECT; during enhanced auth only AUTH may follow.
    const allowed =
      packet.type === PacketType.Connect ||
      (state === 'authenticating' && packet.type === PacketType.Auth);
    if (!allowed) throw protocolError('the first packet must be CONNECT', 'MQTT-3.1.0-1');
  } else if (packet.type === PacketType.Auth && connection.protocolVersion !== 5) {
    throw protocolError('AUTH is a 5.0 packet');
  }
  return (handlers[packet.type] as Handler<PacketType>)(connection, packet as never);
}
