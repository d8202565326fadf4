// Per-connection output: packets are appended to one buffer and written to the socket once per
// tick (see Broker.scheduleFlush), so a burst of deliveries costs one syscall, not one each.

/** Writes larger than this skip the copy into the batch buffer. */
const DIRECT_WRITE_BYTES = 64 * 1024;
const INITIAL_CAPACITY = 1024;

export interface ByteSink {
  write(chunk: Uint8Array): boolean;
}

export class OutputBuffer {
  private buffer: Buffer | undefined;
  private length = 0;
  /** Large packets waiting behind the batch, in order. */
  private large: Buffer[] | undefined;
  /**
   * A lone packet, kept by reference: a tick with one packet for a connection (CONNACK, a
   * PINGRESP, one QoS 0 delivery) writes it as it is, with no batch buffer and no copy.
   * Appended bytes are never changed afterwards, so holding them is safe.
   */
  private single: Uint8Array | undefined;

  get pendingBytes(): number {
    return this.length + (this.single?.length ?? 0);
  }

  get isEmpty(): boolean {
    return this.length === 0 && this.large === undefined && this.single === undefined;
  }

  append(bytes: Uint8Array): void {
    if (this.isEmpty && bytes.length < DIRECT_WRITE_BYTES) {
      this.single = bytes;
      return;
    }
    this.batchSingle();
    if (this.large !== undefined || bytes.length >= DIRECT_WRITE_BYTES) {
      this.appendLarge(Buffer.from(bytes));
      return;
    }
    const at = this.reserve(bytes.length);
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
    const at = this.reserve(bytes.length);
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
    }
    return ok;
  }

  clear(): void {
    this.single = undefined;
    this.buffer = undefined;
    this.length = 0;
    this.large = undefined;
  }

  /** A second packet arrived: the lone one moves into the batch, in front of it. */
  private batchSingle(): void {
    if (this.single === undefined) return;
    const single = this.single;
    this.single = undefined;
    const at = this.reserve(single.length);
    this.buffer!.set(single, at);
  }

  /** Once a large chunk is queued, everything after it is queued behind it, in order. */
  private appendLarge(chunk: Buffer): void {
    if (this.length > 0) {
      (this.large ??= []).push(this.buffer!.subarray(0, this.length));
      this.buffer = undefined;
      this.length = 0;
    }
    (this.large ??= []).push(chunk);
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
