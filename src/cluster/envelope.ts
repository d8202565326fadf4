// A message as it crosses from one node to another: a small header (who sent it, its
// sequence number, absolute expiry, publishing client) followed by the message as an
// MQTT 5.0 PUBLISH, so topic, payload and every property travel in the codec we already
// trust, and a receiving node checks them like any packet.
import { encode, PacketDecoder, PacketType } from '../protocol/index.js';
import type { Properties } from '../protocol/packets.js';
import type { ClusterMessage } from '../broker/ports.js';

const FORMAT = 1;
const HAS_EXPIRY = 1;
const HAS_ORIGIN = 2;
const FIXED = 14;

/** Where a message came from: the sending process and its running count. */
export interface Stamp {
  /** Random per process start, so a restarted node's numbering is a new series. */
  incarnation: number;
  seq: number;
}

/** Per-hop properties never cross [MQTT-3.3.2-17]: the receiving node sets its own. */
function crossingProperties(properties: Properties): Properties {
  if (properties.topicAlias === undefined && properties.subscriptionIdentifiers === undefined)
    return properties;
  const { topicAlias: _alias, subscriptionIdentifiers: _ids, ...rest } = properties;
  return rest;
}

export function encodeEnvelope(message: ClusterMessage, stamp: Stamp): Buffer {
  const publish = encode(
    {
      type: PacketType.Publish,
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
      dup: false,
      packetId: message.qos > 0 ? 1 : undefined,
      properties: crossingProperties(message.properties),
    },
    5,
  );
  const origin = message.origin === undefined ? undefined : Buffer.from(message.origin, 'utf8');
  const expiry = message.expiresAt !== undefined;
  const size = FIXED + (expiry ? 8 : 0) + (origin ? 2 + origin.length : 0) + publish.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = FORMAT;
  out[1] = (expiry ? HAS_EXPIRY : 0) | (origin ? HAS_ORIGIN : 0);
  out.writeUInt32BE(stamp.incarnation >>> 0, 2);
  out.writeDoubleBE(stamp.seq, 6);
  let pos = FIXED;
  if (expiry) pos = out.writeDoubleBE(message.expiresAt!, pos);
  if (origin) {
    pos = out.writeUInt16BE(origin.length, pos);
    pos += origin.copy(out, pos);
  }
  publish.copy(out, pos);
  return out;
}

export interface Envelope {
  stamp: Stamp;
  message: ClusterMessage;
}

/** Decodes an envelope; throws on bytes that are not one (a foreign publisher on our subjects). */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < FIXED || buf[0] !== FORMAT) throw new Error('not a culex cluster envelope');
  const flags = buf[1]!;
  const stamp = { incarnation: buf.readUInt32BE(2), seq: buf.readDoubleBE(6) };
  let pos = FIXED;
  let expiresAt: number | undefined;
  let origin: string | undefined;
  if (flags & HAS_EXPIRY) {
    expiresAt = buf.readDoubleBE(pos);
    pos += 8;
  }
  if (flags & HAS_ORIGIN) {
    const length = buf.readUInt16BE(pos);
    origin = buf.toString('utf8', pos + 2, pos + 2 + length);
    pos += 2 + length;
  }
  const decoder = new PacketDecoder({ protocolVersion: 5 });
  decoder.push(buf.subarray(pos));
  const packet = decoder.next();
  if (packet?.type !== PacketType.Publish) throw new Error('envelope without a PUBLISH');
  const message: ClusterMessage = {
    topic: packet.topic,
    payload: packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    properties: packet.properties,
  };
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  if (origin !== undefined) message.origin = origin;
  return { stamp, message };
}
