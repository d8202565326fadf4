// 5.0 properties (section 2.2.2): one table of identifier, name, data type and the packets
// that may carry each, and the decode / size / encode of a property list driven by it.
import { PacketType, PropertyId, ReasonCode } from './constants.js';
import { MqttError, malformed, protocolError } from './errors.js';
import { NO_PROPERTIES, type Properties, type UserProperty } from './packets.js';
import { type Reader, pastEnd } from './reader.js';
import {
  binarySize,
  utf8Size,
  vbiSize,
  writeBinary,
  writeU16,
  writeU32,
  writeUtf8,
  writeVbi,
} from './writer.js';

/** Property data types (2.2.2.2). Flag is a Byte restricted to 0 or 1 and modelled as boolean. */
const Type = { Byte: 0, Flag: 1, U16: 2, U32: 3, Vbi: 4, Utf8: 5, Binary: 6, Pair: 7 } as const;
type Type = (typeof Type)[keyof typeof Type];

/** Where a property list sits: a packet type's bit, or WILL for CONNECT's Will Properties. */
export const WILL = 1;
export const packetBit = (type: PacketType): number => 1 << type;

interface Descriptor {
  id: PropertyId;
  key: keyof Properties;
  type: Type;
  /** Bit set of packetBit(type) | WILL where the property may appear. */
  allowed: number;
}

const P = PacketType;
const bits = (...types: PacketType[]) => types.reduce((m, t) => m | packetBit(t), 0);
const MESSAGE = WILL | bits(P.Publish);
const ACKS = bits(P.Puback, P.Pubrec, P.Pubrel, P.Pubcomp, P.Suback, P.Unsuback);
const ALL = WILL | bits(P.Connect, P.Connack, P.Publish, P.Subscribe, P.Unsubscribe) | ACKS;

/** Table order, ascending identifier, is also the order properties are encoded in. */
const DESCRIPTORS: readonly Descriptor[] = [
  { id: 0x01, key: 'payloadFormatIndicator', type: Type.Byte, allowed: MESSAGE },
  { id: 0x02, key: 'messageExpiryInterval', type: Type.U32, allowed: MESSAGE },
  { id: 0x03, key: 'contentType', type: Type.Utf8, allowed: MESSAGE },
  { id: 0x08, key: 'responseTopic', type: Type.Utf8, allowed: MESSAGE },
  { id: 0x09, key: 'correlationData', type: Type.Binary, allowed: MESSAGE },
  {
    id: 0x0b,
    key: 'subscriptionIdentifiers',
    type: Type.Vbi,
    allowed: bits(P.Publish, P.Subscribe),
  },
  {
    id: 0x11,
    key: 'sessionExpiryInterval',
    type: Type.U32,
    allowed: bits(P.Connect, P.Connack, P.Disconnect),
  },
  { id: 0x12, key: 'assignedClientIdentifier', type: Type.Utf8, allowed: bits(P.Connack) },
  { id: 0x13, key: 'serverKeepAlive', type: Type.U16, allowed: bits(P.Connack) },
  {
    id: 0x15,
    key: 'authenticationMethod',
    type: Type.Utf8,
    allowed: bits(P.Connect, P.Connack, P.Auth),
  },
  {
    id: 0x16,
    key: 'authenticationData',
    type: Type.Binary,
    allowed: bits(P.Connect, P.Connack, P.Auth),
  },
  { id: 0x17, key: 'requestProblemInformation', type: Type.Byte, allowed: bits(P.Connect) },
  { id: 0x18, key: 'willDelayInterval', type: Type.U32, allowed: WILL },
  { id: 0x19, key: 'requestResponseInformation', type: Type.Byte, allowed: bits(P.Connect) },
  { id: 0x1a, key: 'responseInformation', type: Type.Utf8, allowed: bits(P.Connack) },
  { id: 0x1c, key: 'serverReference', type: Type.Utf8, allowed: bits(P.Connack, P.Disconnect) },
  {
    id: 0x1f,
    key: 'reasonString',
    type: Type.Utf8,
    allowed: ACKS | bits(P.Connack, P.Disconnect, P.Auth),
  },
  { id: 0x21, key: 'receiveMaximum', type: Type.U16, allowed: bits(P.Connect, P.Connack) },
  { id: 0x22, key: 'topicAliasMaximum', type: Type.U16, allowed: bits(P.Connect, P.Connack) },
  { id: 0x23, key: 'topicAlias', type: Type.U16, allowed: bits(P.Publish) },
  { id: 0x24, key: 'maximumQoS', type: Type.Byte, allowed: bits(P.Connack) },
  { id: 0x25, key: 'retainAvailable', type: Type.Flag, allowed: bits(P.Connack) },
  { id: 0x26, key: 'userProperties', type: Type.Pair, allowed: ALL | bits(P.Disconnect, P.Auth) },
  { id: 0x27, key: 'maximumPacketSize', type: Type.U32, allowed: bits(P.Connect, P.Connack) },
  { id: 0x28, key: 'wildcardSubscriptionAvailable', type: Type.Flag, allowed: bits(P.Connack) },
  { id: 0x29, key: 'subscriptionIdentifierAvailable', type: Type.Flag, allowed: bits(P.Connack) },
  { id: 0x2a, key: 'sharedSubscriptionAvailable', type: Type.Flag, allowed: bits(P.Connack) },
];

const BY_ID: (Descriptor | undefined)[] = [];
for (const d of DESCRIPTORS) BY_ID[d.id] = d;

/** Byte properties whose only legal values are 0 and 1 (each "It is a Protocol Error …"). */
const ZERO_OR_ONE = new Set<PropertyId>([
  PropertyId.PayloadFormatIndicator,
  PropertyId.RequestProblemInformation,
  PropertyId.RequestResponseInformation,
  PropertyId.MaximumQoS,
]);

/** Properties for which 0 is a Protocol Error. */
const NON_ZERO: Partial<Record<PropertyId, string | undefined>> = {
  [PropertyId.ReceiveMaximum]: undefined,
  [PropertyId.MaximumPacketSize]: undefined,
  [PropertyId.SubscriptionIdentifier]: undefined,
  [PropertyId.TopicAlias]: 'MQTT-3.3.2-8',
};

function readValue(r: Reader, d: Descriptor): unknown {
  switch (d.type) {
    case Type.Byte:
    case Type.Flag:
      return r.u8();
    case Type.U16:
      return r.u16();
    case Type.U32:
      return r.u32();
    case Type.Vbi:
      return r.vbi();
    case Type.Utf8:
      return r.utf8();
    case Type.Binary:
      return r.binary();
    default:
      return [r.utf8(), r.utf8()] as UserProperty; // [MQTT-1.5.7-1]
  }
}

function checkValue(d: Descriptor, value: unknown): void {
  if (d.type === Type.Flag || ZERO_OR_ONE.has(d.id)) {
    if (value !== 0 && value !== 1) throw protocolError(`${d.key} must be 0 or 1`);
  } else if (value === 0 && d.id in NON_ZERO) {
    throw protocolError(`${d.key} must not be 0`, NON_ZERO[d.id]);
  } else if (d.id === PropertyId.ResponseTopic && hasWildcardString(value as string)) {
    throw protocolError('wildcard in Response Topic', 'MQTT-3.3.2-14');
  }
}

const hasWildcardString = (s: string) => s.includes('+') || s.includes('#');

/**
 * Reads a Property Length and the properties after it. `where` is packetBit(type) or WILL.
 * A property not allowed where it appears is a Malformed Packet (2.2.2.2: "an Identifier
 * which is not valid for its packet type … is a Malformed Packet"); a repeated one is a
 * Protocol Error, except User Property anywhere and Subscription Identifier on PUBLISH.
 */
export function decodeProperties(r: Reader, where: number): Properties {
  const length = r.vbi();
  if (length === 0) return NO_PROPERTIES;
  const end = r.pos + length;
  if (end > r.end) throw pastEnd();
  const packetEnd = r.end;
  r.end = end; // a property value must not run past the Property Length
  const props: Record<string, unknown> = {};
  while (r.pos < end) {
    const id = r.u8();
    const d = BY_ID[id];
    if (d === undefined) throw malformed(`unknown property identifier 0x${id.toString(16)}`);
    if ((d.allowed & where) === 0) throw malformed(`property ${d.key} not allowed here`);
    const value = readValue(r, d);
    checkValue(d, value);
    addValue(props, d, value, where);
  }
  r.end = packetEnd;
  return props as Properties;
}

function addValue(props: Record<string, unknown>, d: Descriptor, value: unknown, where: number) {
  const existing = props[d.key];
  if (d.type === Type.Pair) {
    if (existing === undefined) props[d.key] = [value];
    else (existing as unknown[]).push(value);
  } else if (d.id === PropertyId.SubscriptionIdentifier) {
    if (existing === undefined) props[d.key] = [value];
    else if (where === packetBit(PacketType.Publish)) (existing as unknown[]).push(value);
    else throw protocolError('Subscription Identifier included more than once');
  } else if (existing !== undefined) {
    throw protocolError(`property ${d.key} included more than once`);
  } else {
    props[d.key] = d.type === Type.Flag ? value === 1 : value;
  }
}

function notAllowed(key: string): never {
  throw new RangeError(`property ${key} cannot be sent on this packet`);
}

function valueSize(d: Descriptor, value: unknown): number {
  switch (d.type) {
    case Type.Byte:
    case Type.Flag:
      return 2;
    case Type.U16:
      return 3;
    case Type.U32:
      return 5;
    case Type.Vbi: {
      let size = 0;
      for (const id of value as number[]) size += 1 + vbiSize(id);
      return size;
    }
    case Type.Utf8:
      return 1 + utf8Size(value as string);
    case Type.Binary:
      return 1 + binarySize(value as Uint8Array);
    default: {
      let size = 0;
      for (const [name, v] of value as UserProperty[]) size += 1 + utf8Size(name) + utf8Size(v);
      return size;
    }
  }
}

/** Size of the property list without its Property Length. */
export function propertiesSize(props: Properties, where: number): number {
  if (props === NO_PROPERTIES) return 0;
  let size = 0;
  for (const d of DESCRIPTORS) {
    const value = props[d.key];
    if (value === undefined) continue;
    if ((d.allowed & where) === 0) notAllowed(d.key);
    size += valueSize(d, value);
  }
  return size;
}

function writeValue(buf: Buffer, pos: number, d: Descriptor, value: unknown): number {
  switch (d.type) {
    case Type.Byte:
      buf[pos] = d.id;
      buf[pos + 1] = value as number;
      return pos + 2;
    case Type.Flag:
      buf[pos] = d.id;
      buf[pos + 1] = value ? 1 : 0;
      return pos + 2;
    case Type.U16:
      buf[pos] = d.id;
      return writeU16(buf, pos + 1, value as number);
    case Type.U32:
      buf[pos] = d.id;
      return writeU32(buf, pos + 1, value as number);
    case Type.Vbi:
      for (const id of value as number[]) {
        buf[pos] = d.id;
        pos = writeVbi(buf, pos + 1, id);
      }
      return pos;
    case Type.Utf8:
      buf[pos] = d.id;
      return writeUtf8(buf, pos + 1, value as string);
    case Type.Binary:
      buf[pos] = d.id;
      return writeBinary(buf, pos + 1, value as Uint8Array);
    default:
      for (const [name, v] of value as UserProperty[]) {
        buf[pos] = d.id;
        pos = writeUtf8(buf, writeUtf8(buf, pos + 1, name), v);
      }
      return pos;
  }
}

/** Writes the Property Length `size` (from propertiesSize) and then the properties. */
export function writeProperties(buf: Buffer, pos: number, props: Properties, size: number) {
  pos = writeVbi(buf, pos, size);
  if (size === 0) return pos;
  for (const d of DESCRIPTORS) {
    const value = props[d.key];
    if (value !== undefined) pos = writeValue(buf, pos, d, value);
  }
  return pos;
}

/** Size of Property Length plus properties. */
export const propertyBlockSize = (propsSize: number): number => vbiSize(propsSize) + propsSize;

/** An invalid reason code for the packet type: Protocol Error citing the packet's rule. */
export function badReasonCode(code: number, packet: string, ruleId?: string): MqttError {
  return new MqttError(
    ReasonCode.ProtocolError,
    `reason code 0x${code.toString(16)} is not defined for ${packet}`,
    ruleId,
  );
}
