// Encoding: the size first, then one allocation of exactly that size (alloc.ts), then the fields
// written in place. No intermediate buffers and no concatenation.
import { PacketType, type ProtocolVersion } from './constants.js';
import { authSize, writeAuth } from './auth.js';
import { connackSize, writeConnack } from './connack.js';
import { connectSize, writeConnect } from './connect.js';
import { disconnectSize, writeDisconnect } from './disconnect.js';
import type { Packet, PublishPacket } from './packets.js';
import { publishFlags, publishPropertiesSize, publishSize, writePublish } from './publish.js';
import { pubResponseSize, writePubResponse } from './pubresponse.js';
import { subackSize, writeSuback } from './suback.js';
import { subscribeSize, writeSubscribe } from './subscribe.js';
import { unsubackSize, writeUnsuback } from './unsuback.js';
import { unsubscribeSize, writeUnsubscribe } from './unsubscribe.js';
import { vbiSize, writeVbi } from './writer.js';
import { allocate } from './alloc.js';

/** PUBREL, SUBSCRIBE and UNSUBSCRIBE have fixed-header flags 0010 (2.1.3); the rest 0000. */
const FLAGS_0010 = 0x02;

function remainingLength(p: Packet, version: ProtocolVersion): number {
  switch (p.type) {
    case PacketType.Connect:
      return connectSize(p);
    case PacketType.Connack:
      return connackSize(p, version);
    case PacketType.Publish:
      return publishSize(p, version, publishPropertiesSize(p, version));
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
      return pubResponseSize(p, version);
    case PacketType.Subscribe:
      return subscribeSize(p, version);
    case PacketType.Suback:
      return subackSize(p, version);
    case PacketType.Unsubscribe:
      return unsubscribeSize(p, version);
    case PacketType.Unsuback:
      return unsubackSize(p, version);
    case PacketType.Pingreq:
    case PacketType.Pingresp:
      return 0;
    case PacketType.Disconnect:
      return disconnectSize(p, version);
    case PacketType.Auth:
      return authSize(p, version);
  }
}

function writeBody(buf: Buffer, pos: number, p: Packet, version: ProtocolVersion, rl: number) {
  switch (p.type) {
    case PacketType.Connect:
      return writeConnect(buf, pos, p);
    case PacketType.Connack:
      return writeConnack(buf, pos, p, version);
    case PacketType.Publish:
      return writePublish(buf, pos, p, version, publishPropertiesSize(p, version));
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
      return writePubResponse(buf, pos, p, version, rl);
    case PacketType.Subscribe:
      return writeSubscribe(buf, pos, p, version);
    case PacketType.Suback:
      return writeSuback(buf, pos, p, version);
    case PacketType.Unsubscribe:
      return writeUnsubscribe(buf, pos, p, version);
    case PacketType.Unsuback:
      return writeUnsuback(buf, pos, p, version);
    case PacketType.Pingreq:
    case PacketType.Pingresp:
      return pos;
    case PacketType.Disconnect:
      return writeDisconnect(buf, pos, p, rl);
    case PacketType.Auth:
      return writeAuth(buf, pos, p, rl);
  }
}

function firstByte(p: Packet): number {
  switch (p.type) {
    case PacketType.Publish:
      return (PacketType.Publish << 4) | publishFlags(p);
    case PacketType.Pubrel:
    case PacketType.Subscribe:
    case PacketType.Unsubscribe:
      return (p.type << 4) | FLAGS_0010;
    default:
      return p.type << 4;
  }
}

/** Bytes the encoded packet takes, fixed header included. */
export function encodedSize(packet: Packet, version: ProtocolVersion): number {
  const rl = remainingLength(packet, version);
  return 1 + vbiSize(rl) + rl;
}

/** A PUBLISH's sizes, computed once: the property block walks every property. */
export interface PublishSizes {
  propsSize: number;
  remainingLength: number;
  /** The whole packet, fixed header included. */
  size: number;
}

export function publishSizes(p: PublishPacket, version: ProtocolVersion): PublishSizes {
  const propsSize = publishPropertiesSize(p, version);
  const remainingLength = publishSize(p, version, propsSize);
  return { propsSize, remainingLength, size: 1 + vbiSize(remainingLength) + remainingLength };
}

/** The hot path of a broker: PUBLISH with its property size computed once, no object. */
function encodePublish(p: PublishPacket, version: ProtocolVersion): Buffer {
  const propsSize = publishPropertiesSize(p, version);
  const rl = publishSize(p, version, propsSize);
  const buf = allocate(1 + vbiSize(rl) + rl);
  writePublishPacket(buf, 0, p, version, propsSize, rl);
  return buf;
}

/**
 * Writes a PUBLISH at `pos` of `buf`, sized by publishSizes; returns the end. Also for
 * packing many into one buffer (the cluster's batches) without a copy each.
 */
export function writePublishPacket(
  buf: Buffer,
  pos: number,
  p: PublishPacket,
  version: ProtocolVersion,
  propsSize: number,
  remainingLength: number,
): number {
  buf[pos] = (PacketType.Publish << 4) | publishFlags(p);
  return writePublish(buf, writeVbi(buf, pos + 1, remainingLength), p, version, propsSize);
}

/**
 * Encodes a packet for a peer speaking `version`: exactly one allocation of the exact size.
 * Properties are dropped for 3.1 / 3.1.1, and 5.0 reason codes mapped to their return codes.
 * Throws RangeError for values that cannot be encoded (a missing packetId, a string over
 * 65,535 bytes, a property the packet type cannot carry, AUTH before 5.0).
 */
export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  if (packet.type === PacketType.Publish) return encodePublish(packet, version);
  const rl = remainingLength(packet, version);
  const buf = allocate(1 + vbiSize(rl) + rl);
  buf[0] = firstByte(packet);
  const end = writeBody(buf, writeVbi(buf, 1, rl), packet, version, rl);
  if (end !== buf.length) throw new Error(`codec: wrote ${end} of ${buf.length} bytes`);
  return buf;
}
