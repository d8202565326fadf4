// Encodes packets and hands them to the transport in batches: every packet queued in one
// tick leaves in a single write, which on loopback costs far less than one syscall per
// packet. It also measures backpressure, so publishers can await room instead of piling up.
import type { ProtocolVersion } from '../protocol/constants.js';
import { encode } from '../protocol/index.js';
import type { Packet } from '../protocol/packets.js';
import { packetTooLarge } from './errors.js';
import type { Transport } from './transport.js';

/** Above this many bytes awaiting a write, the writer reports itself congested. */
const HIGH_WATER_MARK = 256 * 1024;

const schedule: (callback: () => void) => void =
  typeof process !== 'undefined' && typeof process.nextTick === 'function'
    ? (callback) => process.nextTick(callback)
    : queueMicrotask;

export class PacketWriter {
  #transport: Transport | undefined;
  #version: ProtocolVersion;
  #chunks: Uint8Array[] = [];
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
    this.#bytes = 0;
    this.#blocked = false;
    this.#wakeWaiters();
  }

  /** [MQTT-3.2.2-15] a packet above the server's Maximum Packet Size is refused, not sent. */
  send(packet: Packet): void {
    const bytes = encode(packet, this.#version);
    if (bytes.length > this.maximumPacketSize) {
      throw packetTooLarge(bytes.length, this.maximumPacketSize);
    }
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      schedule(this.flush);
    }
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
    if (!this.#transport || this.#chunks.length === 0) return;
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
