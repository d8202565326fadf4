// Encodes packets and hands them to the transport in batches: every packet queued in one
// tick leaves in a single write, which on loopback costs far less than one syscall per
// packet. PUBLISHes and acknowledgements are encoded straight into a slab that becomes the
// write, so the hot paths allocate nothing per packet and copy nothing twice. It also
// measures backpressure, so publishers can await room instead of piling up.
import { PacketType, ProtocolVersion, ReasonCode } from '../protocol/constants.js';
import { encode } from '../protocol/index.js';
import { NO_PROPERTIES, type Packet, type PublishPacket } from '../protocol/packets.js';
import {
  publishFlags,
  publishPropertiesSize,
  publishSize,
  writePublish,
} from '../protocol/publish.js';
import { vbiSize, writeVbi } from '../protocol/writer.js';
import { packetTooLarge } from './errors.js';
import type { Transport } from './transport.js';

/** Above this many bytes awaiting a write, the writer reports itself congested. */
const HIGH_WATER_MARK = 256 * 1024;
/**
 * Slabs start small, so that thousands of idle clients cost little memory, and double up to
 * the largest while a client keeps filling them within one tick.
 */
const MIN_SLAB = 4 * 1024;
const MAX_SLAB = 64 * 1024;

const schedule: (callback: () => void) => void =
  typeof process !== 'undefined' && typeof process.nextTick === 'function'
    ? (callback) => process.nextTick(callback)
    : queueMicrotask;

type AckType =
  | typeof PacketType.Puback
  | typeof PacketType.Pubrec
  | typeof PacketType.Pubrel
  | typeof PacketType.Pubcomp;

export class PacketWriter {
  #transport: Transport | undefined;
  #version: ProtocolVersion;
  /** Bytes queued before the current slab region, oldest first. */
  #chunks: Uint8Array[] = [];
  /** Where packets are encoded; [#start, #pos) is queued, what lies before was handed over. */
  #slab: Buffer | undefined;
  #start = 0;
  #pos = 0;
  #slabSize = MIN_SLAB;
  #bytes = 0;
  #scheduled = false;
  /** The transport refused more (write returned false) and has not drained yet. */
  #blocked = false;
  #roomWaiters: (() => void)[] = [];
  /** The server's Maximum Packet Size; Infinity when it set none. */
  maximumPacketSize = Number.POSITIVE_INFINITY;
  /** Date.now() of the last write, for keep-alive. */
  lastWrite = 0;

  constructor(version: ProtocolVersion) {
    this.#version = version;
  }

  attach(transport: Transport, version: ProtocolVersion): void {
    this.#transport = transport;
    this.#version = version;
    this.#blocked = false;
    this.maximumPacketSize = Number.POSITIVE_INFINITY;
  }

  /** Forgets the transport and whatever it had not yet been given. */
  detach(): void {
    this.#transport = undefined;
    this.#chunks = [];
    this.#start = this.#pos;
    this.#bytes = 0;
    this.#blocked = false;
    this.#wakeWaiters();
  }

  /** [MQTT-3.2.2-15] a packet above the server's Maximum Packet Size is refused, not sent. */
  send(packet: Packet): void {
    if (packet.type === PacketType.Publish) this.#publish(packet);
    else if (isPlainAck(packet, this.#version)) this.#ack(packet.type, packet.packetId);
    else this.#append(encode(packet, this.#version));
    if (!this.#scheduled) {
      this.#scheduled = true;
      schedule(this.flush);
    }
  }

  #publish(packet: PublishPacket): void {
    const version = this.#version;
    const propertiesSize = publishPropertiesSize(packet, version);
    const remaining = publishSize(packet, version, propertiesSize);
    const size = 1 + vbiSize(remaining) + remaining;
    if (size > this.maximumPacketSize) throw packetTooLarge(size, this.maximumPacketSize);
    if (size > MAX_SLAB / 4) {
      this.#append(encode(packet, version));
      return;
    }
    const slab = this.#reserve(size);
    const pos = this.#pos;
    slab[pos] = (PacketType.Publish << 4) | publishFlags(packet);
    writePublish(slab, writeVbi(slab, pos + 1, remaining), packet, version, propertiesSize);
    this.#pos = pos + size;
    this.#bytes += size;
  }

  /** [MQTT-3.4.2-1] a success without properties is the packet identifier alone. */
  #ack(type: AckType, packetId: number): void {
    const slab = this.#reserve(4);
    const pos = this.#pos;
    // [MQTT-3.6.1-1] PUBREL's fixed-header flags are 0010.
    slab[pos] = (type << 4) | (type === PacketType.Pubrel ? 0x02 : 0);
    slab[pos + 1] = 2;
    slab[pos + 2] = packetId >>> 8;
    slab[pos + 3] = packetId & 0xff;
    this.#pos = pos + 4;
    this.#bytes += 4;
  }

  /** An already encoded packet: queued after what the slab holds. */
  #append(bytes: Uint8Array): void {
    if (bytes.length > this.maximumPacketSize) {
      throw packetTooLarge(bytes.length, this.maximumPacketSize);
    }
    this.#closeRegion();
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
  }

  /** The slab, with room for `size` more bytes at #pos. */
  #reserve(size: number): Buffer {
    const slab = this.#slab;
    if (slab !== undefined && this.#pos + size <= slab.length) return slab;
    // A slab filled within one tick suggests a bigger one.
    if (this.#start === 0 && slab !== undefined && this.#slabSize < MAX_SLAB) this.#slabSize *= 2;
    this.#closeRegion();
    this.#slab = Buffer.allocUnsafeSlow(this.#slabSize);
    this.#start = 0;
    this.#pos = 0;
    return this.#slab;
  }

  /** Moves the slab's queued region to the chunks, so later bytes keep their order. */
  #closeRegion(): void {
    if (this.#pos === this.#start) return;
    this.#chunks.push(this.#slab!.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
  }

  get congested(): boolean {
    return this.#blocked || this.#bytes >= HIGH_WATER_MARK;
  }

  /** Resolves once the writer is below its high-water mark (or has lost its transport). */
  whenWritable(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  readonly flush = (): void => {
    this.#scheduled = false;
    if (!this.#transport || this.#bytes === 0) return;
    // The region handed over is never written again: the next packets go after it.
    this.#closeRegion();
    const chunks = this.#chunks;
    const data = chunks.length === 1 ? chunks[0]! : concat(chunks, this.#bytes);
    this.#chunks = [];
    this.#bytes = 0;
    this.lastWrite = Date.now();
    if (!this.#transport.write(data)) this.#blocked = true;
    if (!this.#blocked) this.#wakeWaiters();
  };

  /** The transport drained its send buffer. */
  onDrain(): void {
    this.#blocked = false;
    if (!this.congested) this.#wakeWaiters();
  }

  #wakeWaiters(): void {
    if (this.#roomWaiters.length === 0) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP that encodes to 4 bytes (3.4.2.1). */
function isPlainAck(
  packet: Packet,
  version: ProtocolVersion,
): packet is Extract<Packet, { type: AckType }> {
  switch (packet.type) {
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
      if (packet.packetId < 1 || packet.packetId > 0xffff) return false; // encode() reports it
      return (
        version !== ProtocolVersion.V5 ||
        (packet.reasonCode === ReasonCode.Success && packet.properties === NO_PROPERTIES)
      );
    default:
      return false;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (typeof Buffer !== 'undefined') return Buffer.concat(chunks, total);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
