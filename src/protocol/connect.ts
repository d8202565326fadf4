// CONNECT (section 3.1): decode, size and encode for protocol levels 3, 4 and 5.
import { PacketType, ProtocolVersion, type QoS, ReasonCode } from './constants.js';
import { MqttError, malformed, protocolError } from './errors.js';
import { type ConnectPacket, NO_PROPERTIES, type Will } from './packets.js';
import {
  WILL,
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import { type Reader, rule } from './reader.js';
import { binarySize, utf8Size, writeBinary, writeU16, writeUtf8 } from './writer.js';

const Flag = {
  Reserved: 0x01,
  Clean: 0x02,
  Will: 0x04,
  WillQoSShift: 3,
  WillRetain: 0x20,
  Password: 0x40,
  UserName: 0x80,
} as const;

const CONNECT = packetBit(PacketType.Connect);

/** The Protocol Name each Protocol Level must come with. */
const PROTOCOL_NAME: Record<ProtocolVersion, string> = { 3: 'MQIsdp', 4: 'MQTT', 5: 'MQTT' };

function unsupported(message: string, ruleId: string): MqttError {
  return new MqttError(ReasonCode.UnsupportedProtocolVersion, message, ruleId);
}

/** Protocol Name and Level (3.1.2.1, 3.1.2.2); both must agree before the rest is read. */
function readProtocol(r: Reader): { name: string; version: ProtocolVersion } {
  const name = r.utf8();
  const level = r.u8();
  if (level !== 3 && level !== 4 && level !== 5) {
    throw unsupported(`unsupported protocol level ${level}`, 'MQTT-3.1.2-2');
  }
  if (name !== PROTOCOL_NAME[level]) {
    throw unsupported(`protocol name "${name}" does not match level ${level}`, 'MQTT-3.1.2-1');
  }
  return { name, version: level };
}

/** Connect Flags consistency (3.1.2.3–3.1.2.9). */
function checkFlags(flags: number, version: ProtocolVersion): void {
  if (flags & Flag.Reserved) throw malformed('CONNECT reserved flag set', 'MQTT-3.1.2-3');
  const willQoS = (flags >> Flag.WillQoSShift) & 3;
  if (flags & Flag.Will) {
    if (willQoS === 3)
      throw malformed('Will QoS 3', rule(version, 'MQTT-3.1.2-12', 'MQTT-3.1.2-14'));
  } else {
    if (willQoS !== 0) {
      throw malformed(
        'Will QoS without Will Flag',
        rule(version, 'MQTT-3.1.2-11', 'MQTT-3.1.2-13'),
      );
    }
    if (flags & Flag.WillRetain) {
      throw malformed(
        'Will Retain without Will Flag',
        rule(version, 'MQTT-3.1.2-13', 'MQTT-3.1.2-15'),
      );
    }
  }
  // 5.0 lets a client send a password without a user name; 3.1 and 3.1.1 do not.
  if (version !== ProtocolVersion.V5 && flags & Flag.Password && !(flags & Flag.UserName)) {
    throw malformed('Password Flag set without User Name Flag', 'MQTT-3.1.2-22');
  }
}

function readWill(r: Reader, flags: number, version: ProtocolVersion): Will {
  const properties = version === ProtocolVersion.V5 ? decodeProperties(r, WILL) : NO_PROPERTIES;
  const topic = r.utf8();
  if (topic.length === 0) {
    throw new MqttError(ReasonCode.TopicNameInvalid, 'empty Will Topic', 'MQTT-4.7.3-1');
  }
  if (topic.includes('+') || topic.includes('#')) {
    throw new MqttError(ReasonCode.TopicNameInvalid, 'wildcard in Will Topic', 'MQTT-3.3.2-2');
  }
  const payload = r.binary();
  const qos = ((flags >> Flag.WillQoSShift) & 3) as QoS;
  return { topic, payload, qos, retain: (flags & Flag.WillRetain) !== 0, properties };
}

export function decodeConnect(r: Reader): ConnectPacket {
  const { name, version } = readProtocol(r);
  r.version = version;
  const flags = r.u8();
  checkFlags(flags, version);
  const keepAlive = r.u16();
  const properties = version === ProtocolVersion.V5 ? decodeProperties(r, CONNECT) : NO_PROPERTIES;
  if (properties.authenticationData && properties.authenticationMethod === undefined) {
    throw protocolError('Authentication Data without Authentication Method');
  }
  const packet: ConnectPacket = {
    type: PacketType.Connect,
    protocolName: name,
    protocolVersion: version,
    clean: (flags & Flag.Clean) !== 0,
    keepAlive,
    clientId: r.utf8(),
    properties,
  };
  if (flags & Flag.Will) packet.will = readWill(r, flags, version);
  if (flags & Flag.UserName) packet.username = r.utf8();
  if (flags & Flag.Password) packet.password = r.binary();
  r.done();
  return packet;
}

function flagsOf(p: ConnectPacket): number {
  let flags = p.clean ? Flag.Clean : 0;
  if (p.will) {
    flags |= Flag.Will | (p.will.qos << Flag.WillQoSShift);
    if (p.will.retain) flags |= Flag.WillRetain;
  }
  if (p.username !== undefined) flags |= Flag.UserName;
  if (p.password !== undefined) flags |= Flag.Password;
  return flags;
}

/** Remaining Length of a CONNECT. The packet's own protocolVersion decides its layout. */
export function connectSize(p: ConnectPacket): number {
  const v5 = p.protocolVersion === ProtocolVersion.V5;
  let size = utf8Size(p.protocolName) + 4 + utf8Size(p.clientId);
  if (v5) size += propertyBlockSize(propertiesSize(p.properties, CONNECT));
  if (p.will) {
    if (v5) size += propertyBlockSize(propertiesSize(p.will.properties, WILL));
    size += utf8Size(p.will.topic) + binarySize(p.will.payload);
  }
  if (p.username !== undefined) size += utf8Size(p.username);
  if (p.password !== undefined) size += binarySize(p.password);
  return size;
}

export function writeConnect(buf: Buffer, pos: number, p: ConnectPacket): number {
  const v5 = p.protocolVersion === ProtocolVersion.V5;
  pos = writeUtf8(buf, pos, p.protocolName);
  buf[pos++] = p.protocolVersion;
  buf[pos++] = flagsOf(p);
  pos = writeU16(buf, pos, p.keepAlive);
  if (v5) pos = writeProperties(buf, pos, p.properties, propertiesSize(p.properties, CONNECT));
  pos = writeUtf8(buf, pos, p.clientId);
  if (p.will) {
    const will = p.will;
    if (v5) pos = writeProperties(buf, pos, will.properties, propertiesSize(will.properties, WILL));
    pos = writeBinary(buf, writeUtf8(buf, pos, will.topic), will.payload);
  }
  if (p.username !== undefined) pos = writeUtf8(buf, pos, p.username);
  if (p.password !== undefined) pos = writeBinary(buf, pos, p.password);
  return pos;
}
