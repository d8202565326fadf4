// Per-connection output: packets are appended to one buffer and written to the socket once per
// tick (see Broker.scheduleFlush), so a burst of deliveries costs one syscall, not one each.
// A transport that wraps every packet (WebSocket: one frame per packet) gives a PacketFraming,
// and each packet's header is written in front of it as it is appended: no second pass, no
// second copy.

/** Writes larger than this skip the copy into the batch buffer. */
const DIRECT_WRITE_BYTES = 64 * 1024;
const INITIAL_CAPACITY = 1024;

export interface ByteSink {
  write(chunk: Uint8Array): boolean;
}

/** A header the transport puts in front of every packet. */
export interface PacketFraming {
  headerSize(packetLength: number): number;
  writeHeader(buffer: Uint8Array, at: number, packetLength: number): void;
}

export class OutputBuffer {
  private buffer: Buffer | undefined;
  private length = 0;
  /** Large packets waiting behind the batch, in order. */
  private large: Buffer[] | undefined;
  private largeBytes = 0;
  /**
   * A lone packet, kept by reference: a tick with one packet for a connection (CONNACK, a
   * PINGRESP, one QoS 0 delivery) writes it as it is, with no batch buffer and no copy.
   * Appended bytes are never changed afterwards, so holding them is safe.
   */
  private single: Uint8Array | undefined;
  /** Bytes of framing headers among the pending bytes. */
  private headerBytes = 0;

  /** Framed, a lone packet is copied too: its header must go in front of it. */
  constructor(private readonly framing?: PacketFraming) {}

  /** Bytes to write, framing included. */
  get pendingBytes(): number {
    return this.length + this.largeBytes + (this.single?.length ?? 0);
  }

  /** Bytes of MQTT packets to write, framing left out. */
  get pendingPacketBytes(): number {
    return this.pendingBytes - this.headerBytes;
  }

  get isEmpty(): boolean {
    return this.length === 0 && this.large === undefined && this.single === undefined;
  }

  append(bytes: Uint8Array): void {
    if (this.isEmpty && bytes.length < DIRECT_WRITE_BYTES && this.framing === undefined) {
      this.single = bytes;
      return;
    }
    this.batchSingle();
    if (this.large !== undefined || bytes.length >= DIRECT_WRITE_BYTES) {
      this.appendLarge(Buffer.from(bytes));
      return;
    }
    const at = this.reservePacket(bytes.length);
    this.buffer!.set(bytes, at);
  }

  /** Appends an encoded QoS 1/2 PUBLISH with its packet id (and DUP flag) set for this recipient. */
  appendPublish(bytes: Uint8Array, packetIdOffset: number, packetId: number, dup: boolean): void {
    this.batchSingle();
    if (this.large !== undefined || bytes.length >= DIRECT_WRITE_BYTES) {
      const copy = Buffer.from(bytes);
      patch(copy, 0, packetIdOffset, packetId, dup);
      this.appendLarge(copy);
      return;
    }
    const at = this.reservePacket(bytes.length);
    const buffer = this.buffer!;
    buffer.set(bytes, at);
    patch(buffer, at, packetIdOffset, packetId, dup);
  }

  /** Hands everything to the sink; returns the sink's last answer (false: it is backed up). */
  flush(sink: ByteSink): boolean {
    if (this.single !== undefined) {
      const single = this.single;
      this.single = undefined;
      return sink.write(single);
    }
    let ok = true;
    if (this.length > 0) {
      ok = sink.write(this.buffer!.subarray(0, this.length));
      // The sink keeps the written bytes until sent, so the next batch needs a new buffer.
      this.buffer = undefined;
      this.length = 0;
    }
    if (this.large !== undefined) {
      for (const chunk of this.large) ok = sink.write(chunk);
      this.large = undefined;
      this.largeBytes = 0;
    }
    this.headerBytes = 0;
    return ok;
  }

  clear(): void {
    this.single = undefined;
    this.buffer = undefined;
    this.length = 0;
    this.large = undefined;
    this.largeBytes = 0;
    this.headerBytes = 0;
  }

  /** A second packet arrived: the lone one moves into the batch, in front of it. */
  private batchSingle(): void {
    if (this.single === undefined) return;
    const single = this.single;
    this.single = undefined;
    const at = this.reservePacket(single.length);
    this.buffer!.set(single, at);
  }

  /** Once a large chunk is queued, everything after it is queued behind it, in order. */
  private appendLarge(chunk: Buffer): void {
    if (this.length > 0) {
      this.queueLarge(this.buffer!.subarray(0, this.length));
      this.buffer = undefined;
      this.length = 0;
    }
    if (this.framing !== undefined) {
      const header = Buffer.allocUnsafe(this.framing.headerSize(chunk.length));
      this.framing.writeHeader(header, 0, chunk.length);
      this.headerBytes += header.length;
      this.queueLarge(header);
    }
    this.queueLarge(chunk);
  }

  private queueLarge(chunk: Buffer): void {
    (this.large ??= []).push(chunk);
    this.largeBytes += chunk.length;
  }

  /** Room for a packet in the batch, behind its framing header; returns where the packet goes. */
  private reservePacket(size: number): number {
    const framing = this.framing;
    if (framing === undefined) return this.reserve(size);
    const header = framing.headerSize(size);
    const at = this.reserve(header + size);
    framing.writeHeader(this.buffer!, at, size);
    this.headerBytes += header;
    return at + header;
  }

  private reserve(size: number): number {
    const needed = this.length + size;
    if (this.buffer === undefined || this.buffer.length < needed) this.grow(needed);
    const at = this.length;
    this.length = needed;
    return at;
  }

  private grow(needed: number): void {
    let capacity = this.buffer ? this.buffer.length * 2 : INITIAL_CAPACITY;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    if (this.buffer !== undefined && this.length > 0) this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

function patch(buffer: Buffer, at: number, offset: number, packetId: number, dup: boolean): void {
  buffer[at + offset] = packetId >> 8;
  buffer[at + offset + 1] = packetId & 0xff;
  // [MQTT-3.3.1-1] DUP is bit 3 of the first byte.
  if (dup) buffer[at] |= 0x08;
  else buffer[at] &= 0xf7;
}
