// The streaming decoder: bytes in arbitrary chunks in, whole validated packets out. A packet
// lying inside one pushed chunk is decoded in place (its payload a view on the chunk); only a
// packet split across chunks is copied, into a buffer that grows with the bytes that arrived,
// never with the length the header claims.
import { PacketType, ProtocolVersion } from './constants.js';
import { decodeAuth } from './auth.js';
import { decodeConnack } from './connack.js';
import { decodeConnect } from './connect.js';
import { decodeDisconnect } from './disconnect.js';
import { MqttError } from './errors.js';
import { MAX_PACKET_SIZE, checkFirstByte, packetTooLarge, readRemainingLength } from './frame.js';
import type { Packet } from './packets.js';
import { decodePingreq, decodePingresp } from './ping.js';
import { decodePublish } from './publish.js';
import { decodePubResponse } from './pubresponse.js';
import { EMPTY, Reader } from './reader.js';
import { decodeSuback } from './suback.js';
import { decodeSubscribe } from './subscribe.js';
import { decodeUnsuback } from './unsuback.js';
import { decodeUnsubscribe } from './unsubscribe.js';

/** A split packet's buffer starts at most this big and doubles as its bytes arrive. */
const INITIAL_ASSEMBLY_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 5;
/** Consumed queue slots kept before the queue array is compacted. */
const QUEUE_COMPACTION = 1024;

export interface PacketDecoderOptions {
  maximumPacketSize?: number;
  protocolVersion?: ProtocolVersion;
}

export class PacketDecoder {
  /** undefined on a server until CONNECT is decoded (then taken from its Protocol Level). */
  protocolVersion: ProtocolVersion | undefined;
  /** Largest whole packet accepted, fixed header included; checked when the length is read. */
  maximumPacketSize: number;

  private readonly reader = new Reader();
  private current: Buffer = EMPTY;
  private pos = 0;
  /** Chunks pushed after `current`; queue[queueHead] is the next one (no O(n) shifts). */
  private queue: Buffer[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  /** Fixed-header bytes of a packet whose header is split across chunks. */
  /** Allocated on first use: most connections never split a fixed header. */
  private head: Buffer | undefined;
  private headLength = 0;
  /** A packet split across chunks, being assembled. */
  private assembly: Buffer | undefined;
  private assembled = 0;
  private assemblyTotal = 0;
  private assemblyHeaderLength = 0;
  private readonly frame = { remainingLength: 0 };
  private error: MqttError | undefined;

  constructor(options: PacketDecoderOptions = {}) {
    this.protocolVersion = options.protocolVersion;
    this.maximumPacketSize = options.maximumPacketSize ?? MAX_PACKET_SIZE;
  }

  /** Bytes held: pushed but not yet returned as packets. */
  get bufferedBytes(): number {
    return this.current.length - this.pos + this.queuedBytes + this.headLength + this.assembled;
  }

  /** Appends bytes. The chunk is kept by reference, so the caller must not reuse its memory. */
  push(chunk: Uint8Array): void {
    if (this.error !== undefined || chunk.length === 0) return;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pos === this.current.length && this.queueHead === this.queue.length) {
      this.current = buf;
      this.pos = 0;
    } else {
      this.queue.push(buf);
      this.queuedBytes += buf.length;
    }
  }

  /**
   * The next whole packet, or undefined when more bytes are needed. Throws MqttError on a
   * violation; the decoder is then dead and every later call throws the same error.
   */
  next(): Packet | undefined {
    if (this.error !== undefined) throw this.error;
    try {
      return this.step();
    } catch (err) {
      if (err instanceof MqttError) this.fail(err);
      throw err;
    }
  }

  private fail(err: MqttError): void {
    this.error = err;
    this.current = EMPTY;
    this.pos = 0;
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    this.assembly = undefined;
    this.assembled = 0;
    this.headLength = 0;
  }

  private step(): Packet | undefined {
    for (;;) {
      if (this.assembly !== undefined) return this.finishAssembly();
      if (this.headLength > 0) {
        if (!this.fillHead()) return undefined;
        continue;
      }
      if (this.pos === this.current.length && !this.advance()) return undefined;
      const buf = this.current;
      const start = this.pos;
      const headerLength = this.readHeader(buf, start, buf.length);
      if (headerLength === 0) {
        // The fixed header itself is split: keep its first bytes (at most 4) aside.
        this.head ??= Buffer.alloc(MAX_HEADER_BYTES);
        this.headLength = buf.copy(this.head, 0, start);
        this.pos = buf.length;
        continue;
      }
      const end = start + headerLength + this.frame.remainingLength;
      if (end < buf.length) {
        this.pos = end;
        return this.decodeBody(buf, start, start + headerLength, end);
      }
      if (end === buf.length) {
        // The chunk is used up: let it go, so an idle connection keeps no input bytes alive.
        this.current = EMPTY;
        this.pos = 0;
        const packet = this.decodeBody(buf, start, start + headerLength, end);
        this.reader.buf = EMPTY;
        return packet;
      }
      this.startAssembly(buf, start, buf.length, headerLength, end - start);
      this.pos = buf.length;
    }
  }

  /** Validates a fixed header at buf[start]; 0 when incomplete, else its length. */
  private readHeader(buf: Uint8Array, start: number, end: number): number {
    checkFirstByte(buf[start], this.protocolVersion);
    const headerLength = readRemainingLength(buf, start, end, this.frame);
    if (headerLength === 0) return 0;
    const size = headerLength + this.frame.remainingLength;
    if (size > this.maximumPacketSize) throw packetTooLarge(size, this.maximumPacketSize);
    return headerLength;
  }

  /** Moves to the next queued chunk; false when none is left. */
  private advance(): boolean {
    this.pos = 0;
    if (this.queueHead === this.queue.length) {
      this.current = EMPTY;
      return false;
    }
    const next = this.queue[this.queueHead++];
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead >= QUEUE_COMPACTION) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    } else {
      this.queue[this.queueHead - 1] = EMPTY; // drop the reference: the chunk may be large
    }
    this.current = next;
    this.queuedBytes -= next.length;
    return true;
  }

  /** Adds bytes to the split fixed header one at a time until it is complete. */
  private fillHead(): boolean {
    const head = this.head!;
    for (;;) {
      if (this.pos === this.current.length && !this.advance()) return false;
      head[this.headLength++] = this.current[this.pos++];
      const headerLength = this.readHeader(head, 0, this.headLength);
      if (headerLength !== 0) {
        this.headLength = 0;
        const total = headerLength + this.frame.remainingLength;
        this.startAssembly(head, 0, headerLength, headerLength, total);
        return true;
      }
    }
  }

  /** Begins copying a split packet, starting with the bytes buf[start, end) at hand. */
  private startAssembly(
    buf: Buffer,
    start: number,
    end: number,
    headerLength: number,
    total: number,
  ): void {
    const have = end - start;
    this.assembly = Buffer.allocUnsafe(Math.min(total, Math.max(INITIAL_ASSEMBLY_BYTES, have)));
    this.assembled = buf.copy(this.assembly, 0, start, end);
    this.assemblyTotal = total;
    this.assemblyHeaderLength = headerLength;
  }

  /** Copies queued bytes into the split packet; decodes it once whole. */
  private finishAssembly(): Packet | undefined {
    const total = this.assemblyTotal;
    while (this.assembled < total) {
      if (this.pos === this.current.length && !this.advance()) return undefined;
      const take = Math.min(this.current.length - this.pos, total - this.assembled);
      this.reserve(this.assembled + take);
      this.current.copy(this.assembly!, this.assembled, this.pos, this.pos + take);
      this.assembled += take;
      this.pos += take;
    }
    const buf = this.assembly!;
    this.assembly = undefined;
    this.assembled = 0;
    return this.decodeBody(buf, 0, this.assemblyHeaderLength, total);
  }

  /** Grows the assembly buffer (doubling, capped at the packet size) to hold `needed` bytes. */
  private reserve(needed: number): void {
    const old = this.assembly!;
    if (needed <= old.length) return;
    const grown = Buffer.allocUnsafe(
      Math.min(this.assemblyTotal, Math.max(needed, old.length * 2)),
    );
    old.copy(grown, 0, 0, this.assembled);
    this.assembly = grown;
  }

  private decodeBody(buf: Buffer, start: number, bodyStart: number, end: number): Packet {
    const byte0 = buf[start];
    const type = byte0 >> 4;
    const r = this.reader;
    r.reset(buf, bodyStart, end, this.protocolVersion ?? ProtocolVersion.V311);
    switch (type) {
      case PacketType.Publish:
        return decodePublish(r, byte0 & 0x0f);
      case PacketType.Connect: {
        const packet = decodeConnect(r);
        this.protocolVersion ??= packet.protocolVersion;
        return packet;
      }
      case PacketType.Connack:
        return decodeConnack(r);
      case PacketType.Puback:
      case PacketType.Pubrec:
      case PacketType.Pubrel:
      case PacketType.Pubcomp:
        return decodePubResponse(r, type);
      case PacketType.Subscribe:
        return decodeSubscribe(r);
      case PacketType.Suback:
        return decodeSuback(r);
      case PacketType.Unsubscribe:
        return decodeUnsubscribe(r);
      case PacketType.Unsuback:
        return decodeUnsuback(r);
      case PacketType.Pingreq:
        return decodePingreq(r);
      case PacketType.Pingresp:
        return decodePingresp(r);
      case PacketType.Disconnect:
        return decodeDisconnect(r);
      default:
        return decodeAuth(r);
    }
  }
}
