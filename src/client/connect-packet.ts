// The CONNECT packet a client sends, built from its options and the broker URL.
import { PacketType, ProtocolVersion } from '../protocol/constants.js';
import { type ConnectPacket, NO_PROPERTIES, type Properties } from '../protocol/packets.js';
import type { BrokerAddress, ResolvedOptions } from './options.js';
import { toBytes } from './types.js';

/**
 * `clientId` is the identifier in use: on a reconnect it replaces an empty configured one
 * (the broker's Assigned Client Identifier), so the session can be resumed.
 */
export function buildConnectPacket(
  o: ResolvedOptions,
  address: BrokerAddress,
  clientId: string,
  reconnecting: boolean,
): ConnectPacket {
  const source = o.source;
  const username = source.username ?? address.username;
  const password = source.password ?? address.password;
  const v5 = o.protocolVersion === ProtocolVersion.V5;
  const properties: Properties = { ...source.properties };
  if (v5 && o.maximumPacketSize !== undefined) properties.maximumPacketSize = o.maximumPacketSize;
  return {
    type: PacketType.Connect,
    protocolName: o.protocolVersion === ProtocolVersion.V31 ? 'MQIsdp' : 'MQTT',
    protocolVersion: o.protocolVersion,
    // A reconnect resumes the session when the caller asked for a persistent one.
    clean: o.clean,
    keepAlive: o.keepAlive,
    clientId: reconnecting && clientId && !o.clientId ? clientId : o.clientId,
    will: source.will && {
      topic: source.will.topic,
      payload: toBytes(source.will.payload),
      qos: source.will.qos ?? 0,
      retain: source.will.retain ?? false,
      properties: source.will.properties ?? NO_PROPERTIES,
    },
    username,
    password: password === undefined ? undefined : toBytes(password),
    properties: v5 ? properties : NO_PROPERTIES,
  };
}
