// One raw MQTT connection of a check: packets built with the codec (or hand-made bytes for
// malformed input), everything the broker sends decoded and queued, every wait bounded.
// Waits throw CheckFailed saying what the broker did instead, so checks read as sequences.
import {
  encode,
  type Packet,
  PacketDecoder,
  type PacketOf,
  PacketType,
} from '../protocol/index.js';
import type { RateLimit } from './rate.js';
import { InputWaiter } from './waiter.js';
import { CheckFailed, type CheckVersion } from './types.js';
import { openWire, type Target, type Wire } from './wire.js';

/** Packets kept unread per connection; no check reads nearly this many. */
const MAX_QUEUED_PACKETS = 10_000;

const TYPE_NAMES = Object.fromEntries(Object.entries(PacketType).map(([k, v]) => [v, k]));

/** A packet for messages: its type, and its reason code when it has one. */
export function describePacket(packet: Packet): string {
  const name = TYPE_NAMES[packet.type]!.toUpperCase();
  const code = (packet as { reasonCode?: number }).reasonCode;
  if (packet.type === PacketType.Suback) return `${name} [${packet.reasonCodes.map(hex)}]`;
  return code === undefined ? name : `${name} ${hex(code)}`;
}

export const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

export class CheckConnection {
  readonly packets: Packet[] = [];
  closed = false;
  /** Set when the broker answered a 5.0 CONNECT with a 3.1.1-format CONNACK. */
  legacyConnack = false;
  private decodeError: Error | undefined;
  private decoder: PacketDecoder;
  private readonly input = new InputWaiter();
  private nextPacketId = 1;
  private sending: Promise<void> = Promise.resolve();
  private wire!: Wire;

  private constructor(
    readonly version: CheckVersion,
    private readonly rate: RateLimit,
  ) {
    this.decoder = new PacketDecoder({ protocolVersion: version });
  }

  static async open(target: Target, version: CheckVersion, rate: RateLimit, timeoutMs: number) {
    await rate.take();
    const connection = new CheckConnection(version, rate);
    connection.wire = await openWire(
      target,
      { data: (chunk) => connection.onData(chunk), close: () => connection.onClose() },
      timeoutMs,
    );
    return connection;
  }

  private onData(chunk: Buffer): void {
    // A 5.0 CONNACK has a Property Length, so Remaining Length 2 is the 3.1.1 format: a
    // broker without 5.0 refusing the protocol level [MQTT-3.1.2-2 in 3.1.1].
    if (this.version === 5 && this.packets.length === 0 && chunk[0] === 0x20 && chunk[1] === 2) {
      this.legacyConnack = true;
      this.decoder = new PacketDecoder({ protocolVersion: 4 });
    }
    try {
      this.decoder.push(chunk);
      for (let p = this.decoder.next(); p !== undefined; p = this.decoder.next()) {
        // A broker flooding a check must not grow this queue without end.
        if (this.packets.length >= MAX_QUEUED_PACKETS)
          throw new Error(`sent over ${MAX_QUEUED_PACKETS} packets unread`);
        this.packets.push(p);
      }
    } catch (err) {
      const message = (err as Error).message;
      this.decodeError ??= new Error(
        message.startsWith('sent over') ? message : `sent a packet our decoder rejects: ${message}`,
      );
    }
    this.input.wake();
  }

  private onClose(): void {
    this.closed = true;
    this.input.wake();
  }

  /** Waits until `ready()` holds, re-checking on input and close; false on timeout. */
  waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.input.until(ready, timeoutMs);
  }

  packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id === 65535 ? 1 : id + 1;
    return id;
  }

  /** Sends in order, each packet taking a slot of the run's rate bound. */
  send(packet: Packet | Uint8Array): Promise<void> {
    const bytes = packet instanceof Uint8Array ? packet : encode(packet, this.version);
    this.sending = this.sending.then(() => this.rate.take()).then(() => this.wire.write(bytes));
    return this.sending;
  }

  private brokenInput(): CheckFailed | undefined {
    if (this.decodeError === undefined || this.packets.length > 0) return undefined;
    return new CheckFailed(this.decodeError.message);
  }

  /** The next packet, whatever its type. */
  async next(timeoutMs: number): Promise<Packet> {
    await this.waitUntil(() => this.packets.length > 0 || this.closed, timeoutMs);
    const packet = this.packets.shift();
    if (packet !== undefined) return packet;
    throw this.brokenInput() ?? new CheckFailed(this.silence(timeoutMs));
  }

  private silence(timeoutMs: number): string {
    return this.closed ? 'closed the connection' : `sent nothing within ${timeoutMs} ms`;
  }

  /** The next packet, which must be of `type`. */
  async expect<T extends PacketType>(type: T, timeoutMs: number, what = ''): Promise<PacketOf<T>> {
    const wanted = `${TYPE_NAMES[type]!.toUpperCase()}${what ? ` ${what}` : ''}`;
    let packet: Packet;
    try {
      packet = await this.next(timeoutMs);
    } catch (err) {
      throw new CheckFailed(`expected ${wanted}, but the broker ${(err as Error).message}`);
    }
    if (packet.type !== type)
      throw new CheckFailed(`expected ${wanted}, got ${describePacket(packet)}`);
    return packet as PacketOf<T>;
  }

  /** The first packet of `type` with `packetId`, from anywhere in the queue. */
  async take<T extends PacketType>(type: T, packetId: number, timeoutMs: number) {
    const find = () =>
      this.packets.findIndex(
        (p) => p.type === type && (p as { packetId?: number }).packetId === packetId,
      );
    await this.waitUntil(() => find() >= 0 || this.closed, timeoutMs);
    const at = find();
    if (at >= 0) return this.packets.splice(at, 1)[0] as PacketOf<T>;
    const name = TYPE_NAMES[type]!.toUpperCase();
    throw (
      this.brokenInput() ??
      new CheckFailed(`expected ${name} ${packetId}, but the broker ${this.silence(timeoutMs)}`)
    );
  }

  /** Fails if any packet arrives within `ms`. */
  async expectNothing(ms: number, what = 'nothing'): Promise<void> {
    await this.waitUntil(() => this.packets.length > 0, ms);
    const packet = this.packets[0];
    if (packet) throw new CheckFailed(`expected ${what}, got ${describePacket(packet)}`);
  }

  /** Every packet that arrives within `ms`. */
  async collect(ms: number): Promise<Packet[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.packets.splice(0);
  }

  /** Resolves true once the broker closed the connection, false after `timeoutMs`. */
  waitClose(timeoutMs: number): Promise<boolean> {
    return this.waitUntil(() => this.closed, timeoutMs);
  }

  /** A normal DISCONNECT (reason 0x00), then end. */
  async disconnect(reasonCode = 0): Promise<void> {
    await this.send({ type: PacketType.Disconnect, reasonCode, properties: {} });
    this.wire.end();
  }

  /** Drops the connection without DISCONNECT (an abnormal close). */
  destroy(): void {
    this.wire.destroy();
  }
}
