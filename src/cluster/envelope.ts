// A message as it crosses from one node to another: a small header (absolute expiry,
// publishing client) followed by the message as an MQTT 5.0 PUBLISH, so topic, payload and
// every property travel in the codec we already trust, and a receiving node checks them like
// any packet. Messages travel in batches stamped with the sender and a sequence number.
import {
  PacketDecoder,
  PacketType,
  type PublishSizes,
  publishSizes,
  writePublishPacket,
} from '../protocol/index.js';
import type { Properties, PublishPacket } from '../protocol/packets.js';
import { presetEncoding } from '../broker/message.js';
import type { ClusterMessage } from '../broker/ports.js';

const FORMAT = 1;
const HAS_EXPIRY = 1;
const HAS_ORIGIN = 2;
const HAS_ID = 4;
/** The PUBLISH is in 3.1.1 form (the message has no properties): a receiving node hands its
 * bytes to 3.1.1 subscribers as they are (presetEncoding), without encoding it again. */
const PLAIN = 8;
const FIXED = 2;
const BATCH_HEADER = 12;

/** Where a batch came from: the sending process and its running count of batches. */
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

/** A message prepared for writing: its PUBLISH and the sizes, computed once. */
interface Prepared {
  message: ClusterMessage;
  publish: PublishPacket;
  /** 4 when the message has no properties (PLAIN), else 5. */
  version: 4 | 5;
  sizes: PublishSizes;
  /** The whole envelope. */
  size: number;
}

function prepare(message: ClusterMessage): Prepared {
  const publish: PublishPacket = {
    type: PacketType.Publish,
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain,
    dup: false,
    packetId: message.qos > 0 ? 1 : undefined,
    properties: crossingProperties(message.properties),
  };
  const version = plain(publish.properties) ? 4 : 5;
  const sizes = publishSizes(publish, version);
  let size = FIXED + sizes.size;
  if (message.expiresAt !== undefined) size += 8;
  if (message.origin !== undefined) size += 2 + Buffer.byteLength(message.origin);
  if (message.id !== undefined) size += 1 + Buffer.byteLength(message.id);
  return { message, publish, version, sizes, size };
}

/** No property at all: 3.1.1 can carry the message. */
function plain(properties: Properties): boolean {
  for (const _ in properties) return false;
  return true;
}

function writeEnvelope(out: Buffer, pos: number, prepared: Prepared): number {
  const { message, publish, version, sizes } = prepared;
  const expiry = message.expiresAt !== undefined;
  const origin = message.origin;
  out[pos] = FORMAT;
  const id = message.id;
  out[pos + 1] =
    (expiry ? HAS_EXPIRY : 0) |
    (origin !== undefined ? HAS_ORIGIN : 0) |
    (id !== undefined ? HAS_ID : 0) |
    (version === 4 ? PLAIN : 0);
  pos += FIXED;
  if (expiry) pos = out.writeDoubleBE(message.expiresAt!, pos);
  if (origin !== undefined) {
    const length = out.write(origin, pos + 2);
    out.writeUInt16BE(length, pos);
    pos += 2 + length;
  }
  if (id !== undefined) {
    const length = out.write(id, pos + 1); // ids are ours, a few dozen bytes
    out[pos] = length;
    pos += 1 + length;
  }
  return writePublishPacket(out, pos, publish, version, sizes.propsSize, sizes.remainingLength);
}

export function encodeEnvelope(message: ClusterMessage): Buffer {
  const prepared = prepare(message);
  const out = Buffer.allocUnsafe(prepared.size);
  writeEnvelope(out, 0, prepared);
  return out;
}

/** One decoder per form for every envelope: each holds one whole packet, so none is left
 * buffered. */
const decoders = {
  4: new PacketDecoder({ protocolVersion: 4 }),
  5: new PacketDecoder({ protocolVersion: 5 }),
};

function decodePublish(bytes: Buffer, version: 4 | 5) {
  const decoder = decoders[version];
  decoder.push(bytes);
  try {
    const packet = decoder.next();
    if (packet === undefined) throw new Error('envelope with a truncated PUBLISH');
    return packet;
  } catch (err) {
    // A decoder that threw stays dead: the next envelope gets a fresh one.
    decoders[version] = new PacketDecoder({ protocolVersion: version });
    throw err;
  }
}

/** Decodes an envelope; throws on bytes that are not one (a foreign publisher on our subjects). */
export function decodeEnvelope(bytes: Uint8Array): ClusterMessage {
  return decodeEnvelopeAt(bytes, false);
}

/** `preset`: a message routed now (not a stored one) keeps its 3.1.1 bytes for recipients. */
function decodeEnvelopeAt(bytes: Uint8Array, preset: boolean): ClusterMessage {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < FIXED || buf[0] !== FORMAT) throw new Error('not a culex cluster envelope');
  const flags = buf[1]!;
  let pos = FIXED;
  let expiresAt: number | undefined;
  let origin: string | undefined;
  let id: string | undefined;
  if (flags & HAS_EXPIRY) {
    expiresAt = buf.readDoubleBE(pos);
    pos += 8;
  }
  if (flags & HAS_ORIGIN) {
    const length = buf.readUInt16BE(pos);
    origin = buf.toString('utf8', pos + 2, pos + 2 + length);
    pos += 2 + length;
  }
  if (flags & HAS_ID) {
    id = buf.toString('utf8', pos + 1, pos + 1 + buf[pos]!);
    pos += 1 + buf[pos]!;
  }
  const publish = buf.subarray(pos);
  const packet = decodePublish(publish, flags & PLAIN ? 4 : 5);
  if (packet?.type !== PacketType.Publish) throw new Error('envelope without a PUBLISH');
  const message: ClusterMessage = {
    topic: packet.topic,
    payload: packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    properties: packet.properties,
  };
  // Written by us with packet id 1 and no DUP: what 3.1.1 subscribers get, as it is.
  if (preset && flags & PLAIN && expiresAt === undefined) presetEncoding(message, publish);
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  if (origin !== undefined) message.origin = origin;
  if (id !== undefined) message.id = id;
  return message;
}

/**
 * Messages for one subject, gathered during one turn of the event loop, as one NATS
 * message: the stamp, then each envelope preceded by its length (u32). A NATS message costs
 * the sender, the server and the receiver far more than its bytes, so a busy topic pays once
 * per turn, not per message; order is kept.
 */
export function encodeBatch(stamp: Stamp, messages: readonly ClusterMessage[]): Buffer {
  const prepared = messages.map(prepare);
  let size = BATCH_HEADER;
  for (const p of prepared) size += 4 + p.size;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(stamp.incarnation >>> 0, 0);
  out.writeDoubleBE(stamp.seq, 4);
  let pos = BATCH_HEADER;
  for (const p of prepared) {
    pos = out.writeUInt32BE(p.size, pos);
    pos = writeEnvelope(out, pos, p);
  }
  return out;
}

export interface Batch {
  stamp: Stamp;
  messages: ClusterMessage[];
}

/** The messages of a batch, in order; throws on bytes that are not a batch. */
export function decodeBatch(bytes: Uint8Array): Batch {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < BATCH_HEADER) throw new Error('not a culex cluster envelope batch');
  const stamp = { incarnation: buf.readUInt32BE(0), seq: buf.readDoubleBE(4) };
  const messages: ClusterMessage[] = [];
  let idPrefix: string | undefined;
  for (let pos = BATCH_HEADER; pos < buf.length; ) {
    if (pos + 4 > buf.length) throw new Error('not a culex cluster envelope batch');
    const length = buf.readUInt32BE(pos);
    if (pos + 4 + length > buf.length) throw new Error('not a culex cluster envelope batch');
    const message = decodeEnvelopeAt(buf.subarray(pos + 4, pos + 4 + length), true);
    // A message's id in the cluster: its batch and place in it, unless it carries one. QoS 0
    // is never redelivered, so it needs none.
    if (message.qos > 0 && message.id === undefined) {
      idPrefix ??= `${stamp.incarnation.toString(36)}.${stamp.seq}.`;
      message.id = idPrefix + messages.length;
    }
    messages.push(message);
    pos += 4 + length;
  }
  return { stamp, messages };
}
