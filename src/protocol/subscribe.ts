// SUBSCRIBE (section 3.8): decode, size and encode. Topic filter syntax is the topic layer's
// job, so the broker can refuse one filter in the SUBACK; here only the UTF-8 rules apply.
import { PacketType, ProtocolVersion, type QoS } from './constants.js';
import { malformed, protocolError } from './errors.js';
import { NO_PROPERTIES, type SubscribePacket, type Subscription } from './packets.js';
import {
  decodeProperties,
  packetBit,
  propertiesSize,
  propertyBlockSize,
  writeProperties,
} from './properties.js';
import { type Reader, rule } from './reader.js';
import { utf8Size, writeU16, writeUtf8 } from './writer.js';

const SUBSCRIBE = packetBit(PacketType.Subscribe);

/** Subscription Options byte (3.8.3.1). */
const Option = {
  QoSMask: 0x03,
  NoLocal: 0x04,
  RetainAsPublished: 0x08,
  RetainHandlingShift: 4,
  ReservedV5: 0xc0,
  /** 3.1 and 3.1.1 use only the two QoS bits. */
  ReservedV311: 0xfc,
} as const;

function readSubscription(r: Reader, v5: boolean): Subscription {
  const topicFilter = r.utf8();
  const options = r.u8();
  const qos = options & Option.QoSMask;
  const reserved = v5 ? Option.ReservedV5 : Option.ReservedV311;
  if (options & reserved) {
    throw malformed('reserved Subscription Options bits set', v5 ? 'MQTT-3.8.3-5' : 'MQTT-3.8.3-4');
  }
  if (qos === 3) throw malformed('subscription QoS 3', v5 ? 'MQTT-3.8.3-5' : 'MQTT-3.8.3-4');
  const retainHandling = options >> Option.RetainHandlingShift;
  if (retainHandling === 3) throw protocolError('Retain Handling 3');
  return {
    topicFilter,
    qos: qos as QoS,
    noLocal: (options & Option.NoLocal) !== 0,
    retainAsPublished: (options & Option.RetainAsPublished) !== 0,
    retainHandling: retainHandling as 0 | 1 | 2,
  };
}

export function decodeSubscribe(r: Reader): SubscribePacket {
  const packetId = r.packetId('MQTT-2.2.1-3', 'MQTT-2.3.1-1');
  const v5 = r.version === ProtocolVersion.V5;
  const properties = v5 ? decodeProperties(r, SUBSCRIBE) : NO_PROPERTIES;
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0) subscriptions.push(readSubscription(r, v5));
  if (subscriptions.length === 0) {
    throw protocolError(
      'SUBSCRIBE without a subscription',
      rule(r.version, 'MQTT-3.8.3-2', 'MQTT-3.8.3-3'),
    );
  }
  return { type: PacketType.Subscribe, packetId, subscriptions, properties };
}

function optionsOf(s: Subscription, v5: boolean): number {
  if (!v5) return s.qos;
  return (
    s.qos |
    (s.noLocal ? Option.NoLocal : 0) |
    (s.retainAsPublished ? Option.RetainAsPublished : 0) |
    (s.retainHandling << Option.RetainHandlingShift)
  );
}

export function subscribeSize(p: SubscribePacket, version: ProtocolVersion): number {
  if (p.packetId < 1 || p.packetId > 0xffff) throw new RangeError(`packetId ${p.packetId}`);
  let size = 2;
  if (version === ProtocolVersion.V5) {
    size += propertyBlockSize(propertiesSize(p.properties, SUBSCRIBE));
  }
  for (const s of p.subscriptions) size += utf8Size(s.topicFilter) + 1;
  return size;
}

export function writeSubscribe(
  buf: Buffer,
  pos: number,
  p: SubscribePacket,
  version: ProtocolVersion,
): number {
  const v5 = version === ProtocolVersion.V5;
  pos = writeU16(buf, pos, p.packetId);
  if (v5) pos = writeProperties(buf, pos, p.properties, propertiesSize(p.properties, SUBSCRIBE));
  for (const s of p.subscriptions) {
    pos = writeUtf8(buf, pos, s.topicFilter);
    buf[pos++] = optionsOf(s, v5);
  }
  return pos;
}
